#!/usr/bin/env node
/*
 * Differential check against the C libinjection, on generated inputs.
 *
 *   apt-get install -y libmodsecurity3 python3   # the C library ships inside ModSecurity
 *   npx tsc -b && node packages/libinjection/scripts/differential.js [count] [seed]
 *
 * Python's ctypes calls libinjection_sqli() and libinjection_xss() exported by
 * libmodsecurity.so; we compare with detectSQLi / detectXSS on the same bytes. Debian 12's
 * ModSecurity bundles libinjection 3.9.2, older than the version the test vectors describe,
 * so the two known changes since are removed from the inputs: '==' became an operator, and
 * only listed event names (not every "on..." attribute) are banned. Prints "N passed, N failed"
 * and exits 1 on any difference; exits 0 with a note when the C library is not installed.
 */
'use strict';
const { Buffer: Bytes } = require('buffer');
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { detectSQLi, detectXSS } = require(path.join(__dirname, '..', 'dist'));

const count = Number(process.argv[2] || 50000);
let seed = Number(process.argv[3] || 1);

const LIB = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib']
  .flatMap((dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^libmodsecurity\.so\.3/.test(f)).map((f) => path.join(dir, f)) : []))
  .find(Boolean);
if (!LIB) {
  console.log('skipped: libmodsecurity.so.3 not found (apt-get install -y libmodsecurity3)');
  process.exit(0);
}

// Inputs: random sequences of SQL / HTML fragments, quotes, comments, entities and raw bytes.
const rnd = (n) => {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed % n;
};
const FRAGMENTS = `' " \` ( ) , ; . 1 0x1F 0b01 1.5e3 1E .e 10.e - -- #  /* */ /*! = < > <=> != || && := :: @ @@ $ $$ $a$
\\ \\N [ ] { } ? SELECT select UNION ALL FROM WHERE OR AND NOT IN LIKE IS NULL sleep version user IF EXEC DROP TABLE
INTO OUTFILE BY GROUP CASE WHEN char concat admin foo x N' q'[ E' b' x' U&' COLLATE utf8_bin sp_password TOP DIV XOR
1f 1d benchmark waitfor declare CAST AS int < > </ /> <!-- --> <! <? <% %> <![CDATA[ ]]> <!DOCTYPE script img svg a
iframe src href style onerror onload xmlns xlink:href attributeName values javascript: JaVaScRiPt: data: vbscript:
view-source: &#106; &#x6A; &# &#x &amp; alert(1) [if xml import ENTITY`
  .split(/\s+/)
  .concat([' ', '  ', '\t', '\n', '\r', '\0', '\v', '\xa0', '\xff', '\x80', ' = ']);

const inputs = [];
for (let i = 0; i < count; i++) {
  let s = '';
  for (let j = 1 + rnd(10); j > 0; j--) s += rnd(8) === 0 ? String.fromCharCode(rnd(256)) : FRAGMENTS[rnd(FRAGMENTS.length)];
  inputs.push(s.replace(/=(?==)/g, '= ').replace(/on/gi, 'o n'));
}

const ORACLE = `
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.libinjection_sqli.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p]
lib.libinjection_xss.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
out = []
for line in sys.stdin.buffer.read().split(b'\\n')[:-1]:
    s = bytes.fromhex(line.decode())
    buf = ctypes.create_string_buffer(s, len(s) + 1)  # NUL-terminated, as ModSecurity passes it
    fp = ctypes.create_string_buffer(64)
    hit = lib.libinjection_sqli(buf, len(s), fp)
    out.append('%d %s %d' % (hit, fp.value.decode('latin1') if hit else '', lib.libinjection_xss(buf, len(s))))
sys.stdout.write('\\n'.join(out) + '\\n')
`;
const run = spawnSync('python3', ['-c', ORACLE, LIB], {
  input: inputs.map((s) => Bytes.from(s, 'latin1').toString('hex')).join('\n') + '\n',
  maxBuffer: 1 << 28,
});
if (run.status !== 0) {
  console.error(String(run.stderr));
  process.exit(2);
}
const expected = String(run.stdout).split('\n');

let failed = 0;
for (let i = 0; i < inputs.length; i++) {
  const sqli = detectSQLi(inputs[i]);
  const actual = `${sqli.isSqli ? 1 : 0} ${sqli.fingerprint} ${detectXSS(inputs[i]) ? 1 : 0}`;
  if (actual !== expected[i]) {
    failed++;
    if (failed <= 20) console.log(`differs: ${JSON.stringify(inputs[i])}  C: ${expected[i]}  ours: ${actual}`);
  }
}
const positives = expected.filter((l) => l.startsWith('1 ') || l.endsWith(' 1')).length;
console.log(`libinjection (C, ${path.basename(LIB)}) vs @trellis/libinjection on ${inputs.length} inputs (${positives} flagged by C)`);
console.log(`${inputs.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
