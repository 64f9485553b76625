#!/usr/bin/env node
// Side by side: the CRS 3.3.4 regression suite through nginx + ModSecurity v3 (the reference)
// and through @trellis/waf in-process, with the same configuration file and the same
// requests. Prints, per rule family, ModSecurity pass/total, Trellis pass/total and the
// cases where they disagree, then every disagreement with what each side logged.
//
//   npx tsc -b && node test/waf-reference/compare.js [options]
//     --modsec-results FILE  reuse a run-crs-regression.js JSON instead of running nginx again
//     --trellis-config crs   configure Trellis with its own crsDirectives() instead of the
//                            reference's rules file (default: the very file nginx loads)
//     --paranoia N, --include-disabled, --only REGEX, --suite DIR   as run-crs-regression.js
//     --json FILE            default test/waf-reference/out/compare.json
//
// The reference's rules file is ModSecurity's recommended config (SecRuleEngine On), the
// CRS regression setup, Debian's crs-setup.conf, the CRS rules and the log marker rule;
// Trellis compiles that same file with Waf.fromFiles.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { detect, rulesFileText } = require('./nginx-modsecurity');
const { ROOT, loadWaf, loadSuite, stageRequest, runStages, pct } = require('./ftw-cases');
const { parseArgs, setupDirectives, runReferenceSuite, summarize } = require('./run-crs-regression');

/** Compiles the Trellis side: the reference's own rules file, or Trellis's crsDirectives(). */
function trellisWaf(args) {
  const { Waf, crsDirectives } = loadWaf();
  const warnings = [];
  const onWarning = (m) => warnings.push(m);
  if (args.trellisConfig === 'crs') {
    const before = setupDirectives(args);
    return { waf: Waf.fromDirectives(crsDirectives(before ? { before } : {}), { onWarning }), warnings, config: 'crsDirectives()' };
  }
  const found = detect();
  if (!found.recommended || !found.crsSetup || !found.crsRules) throw new Error(`missing: ${found.missing.join('; ')}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-waf-cmp-'));
  try {
    const file = path.join(dir, 'modsecurity-rules.conf');
    fs.writeFileSync(file, rulesFileText(found, dir, { before: setupDirectives(args) }));
    return { waf: Waf.fromFiles([file], { onWarning }), warnings, config: 'the reference rules file' };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One case through Trellis in-process; the same record shape as the reference runner's. */
function runTrellisCase(ftw, waf, test, wireOptions) {
  return runStages(test, (stage) => {
    const { request } = stageRequest(stage.input, wireOptions);
    try {
      const { log, status } = ftw.runRequest(waf, request);
      return { status, log, ids: [...new Set([...log.matchAll(/\[id "(\d+)"\]/g)].map((m) => m[1]))] };
    } catch (e) {
      return { status: 0, log: '', error: `engine threw: ${e && e.message}`, ids: [] };
    }
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const args = { ...parseArgs(argv), trellisConfig: argv.includes('--trellis-config') ? argv[argv.indexOf('--trellis-config') + 1] : 'reference' };
  const jsonOut = argv.includes('--json') ? args.json : path.join(ROOT, 'test/waf-reference/out/compare.json');

  let families;
  let modsec;
  if (argv.includes('--modsec-results')) {
    const saved = JSON.parse(fs.readFileSync(argv[argv.indexOf('--modsec-results') + 1], 'utf8'));
    families = loadSuite(args.suite, { includeDisabled: saved.includeDisabled });
    modsec = saved.results.filter((r) => !args.only || args.only.test(r.title));
  } else {
    const run = await runReferenceSuite(args);
    families = run.families;
    modsec = run.results;
    console.log(`reference run: ${run.seconds.toFixed(1)} s`);
  }

  const { ftw } = loadWaf();
  const t0 = Date.now();
  const { waf, warnings, config } = trellisWaf(args);
  const loadSeconds = (Date.now() - t0) / 1000;
  const byTitle = new Map(families.flatMap((f) => f.tests).map((t) => [t.title, t]));
  const t1 = Date.now();
  const trellis = [];
  for (const m of modsec) trellis.push(await runTrellisCase(ftw, waf, byTitle.get(m.title), args.wire));
  const runSeconds = (Date.now() - t1) / 1000;
  console.log(`Trellis (${config}): ${waf.ruleCount} rules compiled in ${loadSeconds.toFixed(1)} s, suite run in ${runSeconds.toFixed(1)} s` + (warnings.length ? `, ${warnings.length} warnings:\n  ${warnings.join('\n  ')}` : ''));

  const ms = summarize(families, modsec);
  const tr = summarize(families, trellis);
  const disagreements = [];
  for (let i = 0; i < modsec.length; i++) {
    if (modsec[i].passed !== trellis[i].passed) disagreements.push({ title: modsec[i].title, family: modsec[i].family, modsecurity: modsec[i], trellis: trellis[i] });
  }

  console.log(`\n${'family'.padEnd(48)} ${'ModSecurity'.padStart(16)} ${'Trellis'.padStart(16)}  disagreements`);
  for (const row of ms.rows) {
    const t = tr.rows.find((r) => r.family === row.family);
    const d = disagreements.filter((x) => x.family === row.family);
    const cell = (r) => `${r.passed}/${r.total} ${pct(r.passed, r.total)}`.padStart(16);
    console.log(`${row.family.padEnd(48)} ${cell(row)} ${cell(t)}  ${d.length ? d.map((x) => `${x.title}${x.trellis.passed ? '+' : '-'}`).join(' ') : '-'}`);
  }
  const cellT = (s) => `${s.passed}/${s.total} ${pct(s.passed, s.total)}`.padStart(16);
  console.log(`${'TOTAL'.padEnd(48)} ${cellT(ms)} ${cellT(tr)}  ${disagreements.length}`);
  console.log(`(in the disagreements column: id+ = only Trellis passes, id- = only ModSecurity passes)`);
  const bothFail = modsec.filter((m, i) => !m.passed && !trellis[i].passed).map((m) => m.title);
  console.log(`both fail (${bothFail.length}): ${bothFail.join(' ') || '-'}`);

  console.log('\ndisagreements:');
  for (const d of disagreements) {
    const side = (r) => `${r.passed ? 'pass' : 'FAIL'} status ${r.status}${r.error ? ` (${r.error})` : ''} logged ${r.ids.join(' ') || 'nothing'}${r.reason ? `; ${r.reason}` : ''}`;
    console.log(`  ${d.title}\n    ModSecurity: ${side(d.modsecurity)}\n    Trellis:     ${side(d.trellis)}`);
  }

  fs.mkdirSync(path.dirname(jsonOut), { recursive: true });
  fs.writeFileSync(
    jsonOut,
    JSON.stringify(
      {
        trellisConfig: config,
        modsecurity: { passed: ms.passed, total: ms.total, families: ms.rows },
        trellis: { passed: tr.passed, total: tr.total, families: tr.rows, loadSeconds, runSeconds, warnings },
        bothFail,
        disagreements,
        results: modsec.map((m, i) => ({ title: m.title, family: m.family, modsecurity: m, trellis: trellis[i] })),
      },
      null,
      1,
    ),
  );
  console.log(`\nresults: ${path.relative(process.cwd(), jsonOut)}`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
