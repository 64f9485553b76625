#!/usr/bin/env node
// Side by side: the CRS 3.3.4 regression suite through nginx + ModSecurity v3 (the reference)
// and through @trellis/waf in-process, with the same configuration file and the same
// requests. Prints, per rule family, ModSecurity pass/total, Trellis pass/total and the
// cases where they disagree, then every disagreement with what each side logged.
//
// The reference scores each case through nginx's HTTP layer, which answers some malformed
// requests (400) before ModSecurity sees them. So Trellis is scored through its own HTTP
// layer: each request is first sent to a real Trellis proxy (no filters) in front of an app;
// when the proxy itself answers or drops it, that is Trellis's outcome (the WAF filter would
// never have run), otherwise the engine's. The "engine alone" column skips that front.
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
const net = require('node:net');
const { detect, rulesFileText, sendRaw } = require('./nginx-modsecurity');
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

/**
 * A Trellis proxy (from the built package, no HTTP filters) routing everything to an app that
 * marks its answers. The app is a raw socket server answering 200 to any head: Node's own
 * HTTP server would refuse methods it does not know (TEST, FOO) that the proxy passes on.
 */
async function startHttpFront() {
  const host = '127.0.2.4';
  const app = net.createServer((socket) => {
    let head = '';
    socket.on('error', () => undefined);
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('data', (d) => {
      if (head.includes('\r\n\r\n')) return;
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) socket.write('HTTP/1.1 200 OK\r\nx-reached-app: 1\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n');
    });
  });
  await new Promise((resolve) => app.listen(0, host, resolve));
  const { Proxy } = require(path.join(ROOT, 'packages/proxy/dist/index.js'));
  const proxy = new Proxy({ accessLog: null });
  await proxy.applyConfig({
    listeners: [{ name: 'front', address: host, port: 0, filterChains: [{ name: 'http', network: { kind: 'http', httpFilters: [{ name: 'envoy.filters.http.router' }], routeConfig: { name: 'all', virtualHosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'app' } }] }] } } }] }],
    clusters: [{ name: 'app', type: 'STATIC', loadAssignment: { clusterName: 'app', endpoints: [{ address: host, port: app.address().port }] } }],
  });
  await proxy.start();
  const port = proxy.listenerPort('front');
  return {
    /** The proxy's own outcome for these bytes, or undefined when it passed them on to the app. */
    refusal: async (wire) => {
      const res = await sendRaw(port, wire, { host, timeoutMs: 3000 });
      if (!res.error && res.headers.some(([k]) => k === 'x-reached-app')) return undefined;
      return { status: res.status, log: '', ids: [], ...(res.error ? { error: res.error } : {}), front: true };
    },
    close: async () => {
      await proxy.close();
      app.close();
    },
  };
}

/** One case through Trellis in-process (behind `front`'s HTTP layer when given); the same record shape as the reference runner's. */
function runTrellisCase(ftw, waf, test, wireOptions, front) {
  return runStages(test, async (stage) => {
    const { request, wire } = stageRequest(stage.input, wireOptions);
    const refused = front && (await front.refusal(wire));
    if (refused) return refused;
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
  const front = await startHttpFront();
  const trellis = [];
  const engineAlone = [];
  try {
    for (const m of modsec) {
      trellis.push(await runTrellisCase(ftw, waf, byTitle.get(m.title), args.wire, front));
      engineAlone.push(await runTrellisCase(ftw, waf, byTitle.get(m.title), args.wire));
    }
  } finally {
    await front.close();
  }
  const runSeconds = (Date.now() - t1) / 1000;
  console.log(`Trellis (${config}): ${waf.ruleCount} rules compiled in ${loadSeconds.toFixed(1)} s, suite run in ${runSeconds.toFixed(1)} s` + (warnings.length ? `, ${warnings.length} warnings:\n  ${warnings.join('\n  ')}` : ''));

  const ms = summarize(families, modsec);
  const tr = summarize(families, trellis);
  const alone = summarize(families, engineAlone);
  const disagreements = [];
  for (let i = 0; i < modsec.length; i++) {
    if (modsec[i].passed !== trellis[i].passed) disagreements.push({ title: modsec[i].title, family: modsec[i].family, modsecurity: modsec[i], trellis: trellis[i] });
  }

  const cell = (r) => `${r.passed}/${r.total} ${pct(r.passed, r.total)}`.padStart(16);
  const mark = (ours, theirs) => (ours.passed < theirs.passed ? ' <' : '  ');
  console.log(`\n${'family'.padEnd(48)} ${'ModSecurity'.padStart(16)} ${'Trellis'.padStart(16)}   ${'engine alone'.padStart(16)}  disagreements`);
  for (const row of ms.rows) {
    const t = tr.rows.find((r) => r.family === row.family);
    const a = alone.rows.find((r) => r.family === row.family);
    const d = disagreements.filter((x) => x.family === row.family);
    console.log(`${row.family.padEnd(48)} ${cell(row)} ${cell(t)}${mark(t, row)} ${cell(a)}  ${d.length ? d.map((x) => `${x.title}${x.trellis.passed ? '+' : '-'}${x.trellis.front ? '*' : ''}`).join(' ') : '-'}`);
  }
  console.log(`${'TOTAL'.padEnd(48)} ${cell(ms)} ${cell(tr)}${mark(tr, ms)} ${cell(alone)}  ${disagreements.length}`);
  console.log(`(Trellis: through its proxy's HTTP layer, like ModSecurity through nginx's; < marks a family below ModSecurity;`);
  console.log(` disagreements: id+ = only Trellis passes, id- = only ModSecurity passes; * = Trellis's outcome came from its HTTP layer)`);
  const bothFail = modsec.filter((m, i) => !m.passed && !trellis[i].passed).map((m) => m.title);
  console.log(`both fail (${bothFail.length}): ${bothFail.join(' ') || '-'}`);

  console.log('\ndisagreements:');
  for (const d of disagreements) {
    const side = (r) => `${r.passed ? 'pass' : 'FAIL'} status ${r.status}${r.error ? ` (${r.error})` : ''} logged ${r.ids.join(' ') || 'nothing'}${r.reason ? `; ${r.reason}` : ''}${r.front ? ' (answered by the proxy\'s HTTP layer)' : ''}`;
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
        trellisEngineAlone: { passed: alone.passed, total: alone.total, families: alone.rows },
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
