#!/usr/bin/env node
// Runs the OWASP CRS 3.3.4 regression suite (FTW YAML) against the reference: nginx +
// ModSecurity v3 + Debian's CRS, the way go-ftw does (a marker request before and after each
// stage, the ModSecurity lines logged in between judged with log_contains / no_log_contains,
// the response with status). Prints the pass rate per rule family and overall, and writes
// every case's result as JSON.
//
//   npx tsc -b && node test/waf-reference/run-crs-regression.js [options]
//     --suite DIR          the FTW suite (default ../shared/data/crs-3.3.4-regression)
//     --paranoia N         the plain CRS setup at level N instead of CRS's regression setup
//     --include-disabled   also run the 7 cases in files marked enabled: false (go-ftw skips them)
//     --only REGEX         only cases whose title matches
//     --json FILE          where to write results (default test/waf-reference/out/modsecurity.json)
//     --verbose            print every failing case and why
//     --no-crlf-multipart  send multipart bodies with the suite's bare LFs (go-ftw sends CRLF)
//     --no-connection-close  do not add go-ftw's Connection: close
//     --encode-form        url-encode form data as go-ftw since 2024 does (off: sent as written)
//     --lenient-headers    nginx keeps header names with '_' or '.' (ignore_invalid_headers off;
//                          by default it drops them before ModSecurity and the upstream see them)
//
// The default setup is @trellis/waf's CRS_REGRESSION_SETUP (paranoia level 4 and the
// optional limits the 920 tests exercise), the setup CRS's own regression runs use, placed
// before crs-setup.conf exactly as the in-process engine is configured.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { startReference } = require('./nginx-modsecurity');
const { ROOT, DEFAULT_SUITE, loadWaf, loadSuite, stageRequest, runStages, pct } = require('./ftw-cases');

function parseArgs(argv) {
  const opt = (name, dflt) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
  return {
    suite: opt('--suite', DEFAULT_SUITE),
    paranoia: argv.includes('--paranoia') ? Number(opt('--paranoia')) : undefined,
    includeDisabled: argv.includes('--include-disabled'),
    only: argv.includes('--only') ? new RegExp(opt('--only')) : undefined,
    json: opt('--json', path.join(ROOT, 'test/waf-reference/out/modsecurity.json')),
    verbose: argv.includes('--verbose'),
    lenientHeaders: argv.includes('--lenient-headers'),
    wire: { crlfMultipart: !argv.includes('--no-crlf-multipart'), connectionClose: !argv.includes('--no-connection-close'), encodeForm: argv.includes('--encode-form') },
  };
}

/** The directives placed before crs-setup.conf on both sides. */
function setupDirectives(args) {
  if (args.paranoia !== undefined) {
    if (!(args.paranoia >= 1 && args.paranoia <= 4)) throw new Error('--paranoia must be 1..4');
    return args.paranoia === 1 ? '' : `SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=${args.paranoia}"`;
  }
  return loadWaf().CRS_REGRESSION_SETUP;
}

/** Runs one case against a started reference; returns a result record. */
function runCase(ref, test) {
  return runStages(test, async (stage) => {
    const { wire } = stageRequest(stage.input, ref.wireOptions);
    const br = await ref.bracket(() => ref.send(wire, { timeoutMs: 3000 }));
    return { status: br.result.status, log: br.log, error: br.result.error, ids: br.ids };
  });
}

/** Runs the selected cases against nginx + ModSecurity; returns { families, results, meta }. */
async function runReferenceSuite(args) {
  const all = loadSuite(args.suite, { includeDisabled: true });
  const skipped = all.flatMap((f) => f.tests).filter((t) => t.disabled && !args.includeDisabled && (!args.only || args.only.test(t.title))).length;
  const families = all.map((f) => ({ ...f, tests: f.tests.filter((t) => args.includeDisabled || !t.disabled) }));
  const ref = await startReference({ before: setupDirectives(args), lenientHeaders: args.lenientHeaders });
  ref.wireOptions = args.wire;
  const results = [];
  const started = Date.now();
  try {
    for (const { tests } of families) {
      for (const test of tests) {
        if (args.only && !args.only.test(test.title)) continue;
        results.push(await runCase(ref, test));
      }
    }
  } finally {
    await ref.stop();
  }
  return { families, results, skipped, seconds: (Date.now() - started) / 1000 };
}

function summarize(families, results) {
  const rows = [];
  for (const { family } of families) {
    const rs = results.filter((r) => r.family === family);
    if (!rs.length) continue;
    rows.push({ family, passed: rs.filter((r) => r.passed).length, total: rs.length });
  }
  const passed = results.filter((r) => r.passed).length;
  return { rows, passed, total: results.length };
}

function versions() {
  const { execFileSync } = require('node:child_process');
  const q = (pkg) => {
    try {
      return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
    } catch {
      return undefined;
    }
  };
  return { libmodsecurity3: q('libmodsecurity3'), nginx: q('nginx-common'), connector: q('libnginx-mod-http-modsecurity'), crs: q('modsecurity-crs') };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { families, results, skipped, seconds } = await runReferenceSuite(args);
  const { rows, passed, total } = summarize(families, results);
  console.log(`nginx + ModSecurity v3 + CRS 3.3.4 (${args.paranoia ? `paranoia ${args.paranoia}` : 'CRS regression setup, PL4'})`);
  for (const r of rows) console.log(`${r.family.padEnd(48)} ${String(r.passed).padStart(4)}/${String(r.total).padEnd(4)} ${pct(r.passed, r.total)}`);
  console.log(`${'TOTAL'.padEnd(48)} ${String(passed).padStart(4)}/${String(total).padEnd(4)} ${pct(passed, total)}  in ${seconds.toFixed(1)} s`);
  if (skipped) console.log(`skipped ${skipped} cases in files marked enabled: false, as go-ftw does; counting them as not passed: ${passed}/${total + skipped} ${pct(passed, total + skipped)}`);
  const failing = results.filter((r) => !r.passed);
  console.log(`failing (${failing.length}):` + (args.verbose ? '\n  ' + failing.map((f) => `${f.title}  (${f.reason}; logged ${f.ids.join(' ') || 'nothing'})`).join('\n  ') : ' ' + failing.map((f) => f.title).join(' ')));
  fs.mkdirSync(path.dirname(args.json), { recursive: true });
  fs.writeFileSync(
    args.json,
    JSON.stringify({ engine: 'nginx+modsecurity', versions: versions(), setup: args.paranoia ? `paranoia ${args.paranoia}` : 'CRS_REGRESSION_SETUP', includeDisabled: args.includeDisabled, lenientHeaders: args.lenientHeaders, wire: args.wire, seconds, passed, total, skipped, families: rows, results }, null, 1),
  );
  console.log(`results: ${path.relative(process.cwd(), args.json)}`);
}

module.exports = { parseArgs, setupDirectives, runReferenceSuite, runCase, summarize, versions };

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
