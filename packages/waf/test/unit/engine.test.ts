import { matchedIds, request, wafOf } from './helpers';

describe('setvar', () => {
  it('sets, adds, subtracts and unsets, expanding macros in names and values', () => {
    const waf = wafOf(`
      SecAction "id:1,phase:1,pass,nolog,setvar:tx.a=10,setvar:tx.b=x,setvar:tx.gone=1"
      SecAction "id:2,phase:1,pass,nolog,setvar:tx.a=+5,setvar:'tx.a=-3',setvar:!tx.gone"
      SecAction "id:3,phase:1,pass,nolog,setvar:'tx.%{tx.b}_%{rule.id}=%{tx.a}',setvar:tx.flag"
    `);
    const tx = request(waf);
    const TX = tx.collection('TX');
    expect(TX.first('a')).toBe('12');
    expect(TX.first('gone')).toBeUndefined();
    expect(TX.first('x_3')).toBe('12');
    expect(TX.first('flag')).toBe('1');
  });

  it('setenv writes ENV for the transaction only', () => {
    const tx = request(wafOf('SecAction "id:1,phase:1,pass,setenv:mode=%{REQUEST_METHOD}"'));
    expect(tx.collection('ENV').first('mode')).toBe('GET');
    expect(process.env.mode).toBeUndefined();
  });

  it('initcol opens a persistent collection shared by later transactions of the same Waf', () => {
    const waf = wafOf('SecAction "id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},setvar:ip.hits=+1"');
    request(waf);
    expect(request(waf).collection('IP').first('hits')).toBe('2');
  });
});

describe('chains, captures and matched variables', () => {
  const waf = wafOf(`
    SecRule ARGS "@rx ^(\\w+)-(\\d+)$" "id:10,phase:2,deny,status:409,capture,chain,msg:'got %{TX.1}',logdata:'%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'"
      SecRule TX:2 "@gt 100" "setvar:tx.chain_ok=1"
  `);

  it('matches only when every link matches; later links see earlier captures', () => {
    const tx = request(waf, '/?a=foo-500');
    expect(tx.interruption).toEqual({ status: 409, ruleId: 10, action: 'deny' });
    expect(tx.matchedRules[0]).toMatchObject({ id: 10, msg: 'got foo', data: 'TX:2=500' });
    expect(tx.collection('TX').first('chain_ok')).toBe('1');
    expect(request(waf, '/?a=foo-5').interruption).toBeNull();
  });

  it('MATCHED_VARS holds every value the previous link matched', () => {
    const w = wafOf(`
      SecRule ARGS "@rx evil" "id:1,phase:2,pass,chain"
        SecRule MATCHED_VARS "@rx ^very" "setvar:tx.n=+1"
    `);
    const tx = request(w, '/?a=evil&b=very%20evil&c=good');
    expect(matchedIds(tx)).toEqual([1]);
    expect(tx.collection('TX').first('n')).toBe('1');
  });

  it('exclusions and counts select values', () => {
    const w = wafOf(`
      SecRule ARGS|!ARGS:safe "@contains x" "id:1,phase:2,pass"
      SecRule &ARGS "@eq 2" "id:2,phase:2,pass"
      SecRule &ARGS:missing "@eq 0" "id:3,phase:2,pass"
      SecRule ARGS_NAMES "@rx ^s" "id:4,phase:2,pass"
      SecRule ARGS:/^sa/ "@contains x" "id:5,phase:2,pass"
    `);
    expect(matchedIds(request(w, '/?safe=x&other=y'))).toEqual([2, 3, 4, 5]);
    expect(matchedIds(request(w, '/?safe=y&other=x'))).toEqual([1, 2, 3, 4]);
  });

  it('multiMatch runs the operator before and after each transformation', () => {
    const w = wafOf(`
      SecRule ARGS "@streq %41" "id:1,phase:2,pass,t:urlDecode,multiMatch"
      SecRule ARGS "@streq %41" "id:2,phase:2,pass,t:urlDecode"
    `);
    expect(matchedIds(request(w, '/?a=%2541'))).toEqual([1]);
  });
});

describe('transformation results cached per value', () => {
  it('rules sharing a chain prefix, names and values, and multiMatch after a plain rule all see their own chain', () => {
    const w = wafOf(`
      SecRule ARGS "@streq %41" "id:1,phase:2,pass,t:lowercase,t:urlDecode"
      SecRule ARGS "@streq %41" "id:2,phase:2,pass,t:lowercase"
      SecRule ARGS "@streq a" "id:3,phase:2,pass,t:lowercase,t:urlDecode,t:urlDecode"
      SecRule ARGS_NAMES "@streq k" "id:4,phase:2,pass,t:lowercase"
      SecRule ARGS "@streq %2541" "id:5,phase:2,pass,t:lowercase,t:urlDecode,multiMatch"
    `);
    // %2541 -> %41 -> A; the name K is lowercased on its own, not confused with the value.
    expect(matchedIds(request(w, '/?K=%252541'))).toEqual([1, 4, 5]);
    expect(matchedIds(request(w, '/?K=%25%32541'))).toEqual([1, 4, 5]);
  });

  it('a value that changes (MATCHED_VAR) is transformed afresh', () => {
    const w = wafOf(`
      SecRule ARGS:a "@rx ." "id:1,phase:2,pass,chain"
        SecRule MATCHED_VAR "@streq xyz" "t:lowercase,setvar:tx.first=1"
      SecRule ARGS:b "@rx ." "id:2,phase:2,pass,chain"
        SecRule MATCHED_VAR "@streq abc" "t:lowercase,setvar:tx.second=1"
    `);
    const TX = request(w, '/?a=XYZ&b=ABC').collection('TX');
    expect([TX.first('first'), TX.first('second')]).toEqual(['1', '1']);
  });
});

describe('flow: skip, skipAfter, allow', () => {
  it('skipAfter jumps past the marker; skip jumps over N rules', () => {
    const w = wafOf(`
      SecAction "id:1,phase:1,pass,skipAfter:END"
      SecAction "id:2,phase:1,pass"
      SecMarker END
      SecAction "id:3,phase:1,pass,skip:1"
      SecAction "id:4,phase:1,pass"
      SecAction "id:5,phase:1,pass"
    `);
    expect(matchedIds(request(w))).toEqual([1, 3, 5]);
  });

  it('allow stops rule processing; allow:phase only for the current phase', () => {
    const w = wafOf(`
      SecRule ARGS:mode "@streq all" "id:1,phase:1,allow"
      SecRule ARGS:mode "@streq phase" "id:2,phase:1,allow:phase"
      SecAction "id:3,phase:1,deny"
      SecAction "id:4,phase:2,deny,status:410"
    `);
    expect(request(w, '/?mode=all').interruption).toBeNull();
    expect(request(w, '/?mode=phase').interruption).toMatchObject({ ruleId: 4, status: 410 });
    expect(request(w, '/?mode=none').interruption).toMatchObject({ ruleId: 3, status: 403 });
  });

  it('redirect and drop interrupt; DetectionOnly only logs', () => {
    expect(request(wafOf('SecAction "id:1,phase:1,redirect:http://x/%{REQUEST_METHOD}"')).interruption).toEqual({
      status: 302,
      ruleId: 1,
      action: 'redirect',
      url: 'http://x/GET',
    });
    expect(request(wafOf('SecAction "id:1,phase:1,drop"')).interruption).toMatchObject({ action: 'drop' });
    const tx = request(wafOf('SecRuleEngine DetectionOnly\nSecAction "id:1,phase:1,deny"'));
    expect(tx.interruption).toBeNull();
    expect(matchedIds(tx)).toEqual([1]);
  });
});

describe('ctl', () => {
  it('ruleRemoveById and ruleRemoveByTag affect later rules of this transaction only', () => {
    const w = wafOf(`
      SecRule ARGS:off "@streq 1" "id:1,phase:1,pass,nolog,ctl:ruleRemoveById=10-11,ctl:ruleRemoveByTag=sqli"
      SecAction "id:10,phase:2,pass"
      SecAction "id:12,phase:2,pass,tag:sqli"
      SecAction "id:13,phase:2,pass"
    `);
    expect(matchedIds(request(w, '/?off=1'))).toEqual([1, 13]);
    expect(matchedIds(request(w, '/'))).toEqual([10, 12, 13]);
  });

  it('ruleRemoveTargetById / ByTag drop one variable from a rule', () => {
    const w = wafOf(`
      SecAction "id:1,phase:1,pass,nolog,ctl:ruleRemoveTargetById=10;ARGS:pw,ctl:ruleRemoveTargetByTag=t;ARGS:/^tok/"
      SecRule ARGS "@contains '" "id:10,phase:2,pass"
      SecRule ARGS "@contains '" "id:11,phase:2,pass,tag:t"
    `);
    expect(matchedIds(request(w, "/?pw=a'b"))).toEqual([1, 11]);
    expect(matchedIds(request(w, "/?token=x'y"))).toEqual([1, 10]);
    expect(matchedIds(request(w, "/?q=a'"))).toEqual([1, 10, 11]);
  });

  it('ruleEngine=Off stops, requestBodyProcessor=JSON parses JSON', () => {
    const off = wafOf(`
      SecAction "id:1,phase:1,pass,ctl:ruleEngine=Off"
      SecAction "id:2,phase:2,deny"
    `);
    expect(request(off).interruption).toBeNull();
    const json = wafOf(`
      SecRule REQUEST_HEADERS:Content-Type "application/json" "id:1,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON"
      SecRule ARGS:json.user.name "@streq alice" "id:2,phase:2,deny"
    `);
    const tx = request(json, '/', { method: 'POST', headers: [['Content-Type', 'application/json']], body: '{"user":{"name":"alice"}}' });
    expect(tx.interruption).toMatchObject({ ruleId: 2 });
  });
});

describe('phases and interruptions', () => {
  it('a phase-1 deny stops the transaction before the body', () => {
    const w = wafOf('SecRule REQUEST_METHOD "@streq DELETE" "id:1,phase:1,deny,status:405"\nSecAction "id:2,phase:2,pass"');
    const tx = request(w, '/', { method: 'DELETE' });
    expect(tx.interruption).toMatchObject({ status: 405 });
    expect(matchedIds(tx)).toEqual([1]);
  });

  it('response headers are inspected in phase 3', () => {
    const w = wafOf('SecRule RESPONSE_STATUS "@streq 500" "id:1,phase:3,deny,status:502"');
    const tx = request(w);
    expect(tx.processResponseHeaders(500, [['Content-Type', 'text/plain']])).toMatchObject({ status: 502, ruleId: 1 });
  });

  it('request variables follow ModSecurity: decoded URI and filename, raw query', () => {
    const tx = request(wafOf(''), '/a%20b/c.php?x=%41+1&y');
    expect(tx.single('REQUEST_URI')).toBe('/a b/c.php?x=A+1&y');
    expect(tx.single('REQUEST_URI_RAW')).toBe('/a%20b/c.php?x=%41+1&y');
    expect(tx.single('REQUEST_FILENAME')).toBe('/a b/c.php');
    expect(tx.single('REQUEST_BASENAME')).toBe('c.php');
    expect(tx.single('QUERY_STRING')).toBe('x=%41+1&y');
    expect(tx.single('REQUEST_LINE')).toBe('GET /a%20b/c.php?x=%41+1&y HTTP/1.1');
    expect(tx.collection('ARGS').all().map((e) => [e.key, e.value])).toEqual([['x', 'A 1'], ['y', '']]);
  });

  it('anomalyScore reads TX:anomaly_score', () => {
    expect(request(wafOf('SecAction "id:1,phase:1,pass,setvar:tx.anomaly_score=+7"')).anomalyScore).toBe(7);
  });
});
