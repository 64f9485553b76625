/**
 * The built-in profile: a short rule set that needs no files on the host, for
 * meshes without the OWASP CRS installed. It blocks outright (no anomaly scoring)
 * on what is almost never benign: libinjection's SQLi and XSS verdicts, path
 * traversal, shell command injection, and methods outside HTTP's usual set.
 */
const TARGETS = 'REQUEST_COOKIES|REQUEST_COOKIES_NAMES|ARGS_NAMES|ARGS|XML:/*';

export const TRELLIS_DEFAULT_PROFILE = [
  'SecRuleEngine On',
  'SecRequestBodyAccess On',
  `SecRule REQUEST_HEADERS:Content-Type "application/json" "id:1000001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"`,
  `SecRule REQUEST_METHOD "!@within GET HEAD POST PUT PATCH DELETE OPTIONS" "id:1000010,phase:1,t:none,deny,status:405,log,msg:'Method not allowed',tag:'protocol'"`,
  `SecRule ${TARGETS} "@detectSQLi" "id:1000100,phase:2,t:none,t:urlDecodeUni,t:removeNulls,deny,status:403,log,msg:'SQL injection (libinjection)',logdata:'%{MATCHED_VAR_NAME}',tag:'attack-sqli'"`,
  `SecRule REQUEST_FILENAME|${TARGETS} "@detectXSS" "id:1000200,phase:2,t:none,t:urlDecodeUni,t:htmlEntityDecode,deny,status:403,log,msg:'XSS (libinjection)',logdata:'%{MATCHED_VAR_NAME}',tag:'attack-xss'"`,
  `SecRule REQUEST_URI_RAW|ARGS "@rx (?:^|[\\\\/])\\.\\.(?:[\\\\/]|$)" "id:1000300,phase:2,t:none,t:urlDecodeUni,deny,status:403,log,msg:'Path traversal',logdata:'%{MATCHED_VAR_NAME}',tag:'attack-lfi'"`,
  `SecRule ARGS "@rx (?:[;|\`&]|\\$\\(|\\|\\|)\\s*(?:cat|ls|id|uname|whoami|wget|curl|nc|bash|sh|python|perl|rm)\\b" "id:1000400,phase:2,t:none,t:urlDecodeUni,t:lowercase,deny,status:403,log,msg:'OS command injection',logdata:'%{MATCHED_VAR_NAME}',tag:'attack-rce'"`,
].join('\n') + '\n';
