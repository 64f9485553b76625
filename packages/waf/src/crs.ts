/** Where Debian's `modsecurity-crs` package puts the Core Rule Set and its setup. */
export const DEBIAN_CRS = {
  /** Includes crs-setup.conf, the exclusion files and rules/*.conf, in ModSecurity's order. */
  loadFile: '/usr/share/modsecurity-crs/owasp-crs.load',
  rulesDir: '/usr/share/modsecurity-crs/rules',
  setupFile: '/etc/modsecurity/crs/crs-setup.conf',
} as const;

export interface CrsOptions {
  /** 1 (default) to 4. */
  paranoiaLevel?: number;
  /** The file that Includes the CRS (default: Debian's owasp-crs.load). */
  loadFile?: string;
  /** Directives placed before the CRS (after the engine settings). */
  before?: string;
  /** Directives placed after the CRS. */
  after?: string;
  /** Add the XML/JSON body-processor rules of ModSecurity's recommended config (default true). */
  bodyProcessorRules?: boolean;
  /**
   * SecArgumentsLimit and the recommended config's rule 200007, which refuses (400) a request
   * with that many arguments instead of judging it on a part (default 1000; 0 leaves both out).
   * Without it a 1 MB body of tiny arguments costs CRS PL1 seconds of CPU.
   */
  argumentsLimit?: number;
}

/** From modsecurity.conf-recommended: parse XML and JSON bodies by their Content-Type. */
export const BODY_PROCESSOR_RULES = [
  'SecRule REQUEST_HEADERS:Content-Type "(?:application(?:/soap\\+|/)|text/)xml" "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"',
  'SecRule REQUEST_HEADERS:Content-Type "application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"',
].join('\n');

/**
 * The configuration the nginx reference runs: the engine on, request bodies inspected, the
 * CRS setup with default anomaly scoring, then the rules.
 */
export function crsDirectives(options: CrsOptions = {}): string {
  const lines = ['SecRuleEngine On', 'SecRequestBodyAccess On'];
  if (options.bodyProcessorRules ?? true) lines.push(BODY_PROCESSOR_RULES);
  const argumentsLimit = options.argumentsLimit ?? 1000;
  if (argumentsLimit > 0) {
    lines.push(
      `SecArgumentsLimit ${argumentsLimit}`,
      `SecRule &ARGS "@ge ${argumentsLimit}" "id:200007,phase:2,t:none,log,deny,status:400,msg:'Failed to fully parse request body due to large argument count',severity:2"`,
    );
  }
  const pl = options.paranoiaLevel ?? 1;
  if (!Number.isInteger(pl) || pl < 1 || pl > 4) throw new Error(`paranoiaLevel must be 1..4, got ${pl}`);
  if (pl !== 1) lines.push(`SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=${pl}"`);
  if (options.before) lines.push(options.before);
  lines.push(`Include ${options.loadFile ?? DEBIAN_CRS.loadFile}`);
  if (options.after) lines.push(options.after);
  return lines.join('\n') + '\n';
}

/**
 * The setup CRS's own regression runs use (paranoia level 4, so every rule is active, and
 * the optional limits the 920 tests exercise), placed before the CRS.
 */
export const CRS_REGRESSION_SETUP =
  'SecAction "id:900005,phase:1,nolog,pass,t:none,' +
  'setvar:tx.paranoia_level=4,setvar:tx.crs_validate_utf8_encoding=1,' +
  'setvar:tx.arg_name_length=100,setvar:tx.arg_length=400,setvar:tx.total_arg_length=64000,' +
  'setvar:tx.max_num_args=255,setvar:tx.max_file_size=64100,setvar:tx.combined_file_sizes=65535"';
