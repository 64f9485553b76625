#!/usr/bin/env node
// Runs the CRS 3.3.4 regression suite (FTW YAML) against @trellis/waf built in dist/ and prints
// the pass rate per family and the failing test ids. Usage:
//   node packages/waf/scripts/crs-regression.js [suiteDir] [--paranoia N] [--verbose]
// By default the CRS is set up as CRS's own regression runs do (CRS_REGRESSION_SETUP:
// paranoia level 4 and the optional limits); --paranoia N uses the plain setup at level N.
'use strict';
const path = require('node:path');
const yaml = require('js-yaml');
const { Waf, crsDirectives, CRS_REGRESSION_SETUP, ftw } = require('../dist/index.js');

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const suiteDir = args.find((a, i) => !a.startsWith('--') && !(args[i - 1] ?? '').startsWith('--')) ??
  path.resolve(__dirname, '../../../../shared/data/crs-3.3.4-regression');

const started = Date.now();
const waf = Waf.fromDirectives(
  args.includes('--paranoia') ? crsDirectives({ paranoiaLevel: Number(option('--paranoia', '1')) }) : crsDirectives({ before: CRS_REGRESSION_SETUP }),
);
const families = ftw.loadFtwSuite(suiteDir, (text) => yaml.load(text));
let passed = 0;
let total = 0;
const failing = [];
for (const family of families) {
  const report = ftw.runFtwFamily(waf, family);
  passed += report.passed;
  total += report.total;
  console.log(`${report.name.padEnd(48)} ${String(report.passed).padStart(4)}/${String(report.total).padEnd(4)} ${((100 * report.passed) / (report.total || 1)).toFixed(1)}%`);
  for (const f of report.failures) failing.push(flag('--verbose') ? `${f.title}  (${f.reason})` : f.title);
}
console.log(`${'TOTAL'.padEnd(48)} ${String(passed).padStart(4)}/${String(total).padEnd(4)} ${((100 * passed) / (total || 1)).toFixed(1)}%  in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`failing (${failing.length}): ${failing.join(flag('--verbose') ? '\n  ' : ' ')}`);
