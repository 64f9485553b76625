/**
 * The OWASP CRS 3.3.4 regression suite (FTW YAML, shared/data/crs-3.3.4-regression) run
 * in-process against Debian's CRS rules, one jest test per rule family. Each asserts the
 * pass count stays at or above the floor recorded here, so a regression fails CI; raise a
 * floor when a fix makes more cases pass. `node packages/waf/scripts/crs-regression.js
 * --verbose` prints the same table with every failing case and why.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { load as parseYaml } from 'js-yaml';
import { CRS_REGRESSION_SETUP, DEBIAN_CRS, Waf, crsDirectives, ftw } from '../src';

const SUITE = join(__dirname, '../../../../shared/data/crs-3.3.4-regression');

/** Passing cases per family, measured 2026-11-23 (2352/2396 overall). */
const FLOORS: Record<string, number> = {
  'REQUEST-911-METHOD-ENFORCEMENT': 8,
  'REQUEST-913-SCANNER-DETECTION': 9,
  'REQUEST-920-PROTOCOL-ENFORCEMENT': 209,
  'REQUEST-921-PROTOCOL-ATTACK': 66,
  'REQUEST-922-MULTIPART-ATTACK': 6,
  'REQUEST-930-APPLICATION-ATTACK-LFI': 11,
  'REQUEST-931-APPLICATION-ATTACK-RFI': 23,
  'REQUEST-932-APPLICATION-ATTACK-RCE': 163,
  'REQUEST-933-APPLICATION-ATTACK-PHP': 163,
  'REQUEST-934-APPLICATION-ATTACK-NODEJS': 8,
  'REQUEST-941-APPLICATION-ATTACK-XSS': 106,
  'REQUEST-942-APPLICATION-ATTACK-SQLI': 520,
  'REQUEST-943-APPLICATION-ATTACK-SESSION-FIXATION': 6,
  'REQUEST-944-APPLICATION-ATTACK-JAVA': 1054,
};

const available = existsSync(DEBIAN_CRS.loadFile) && existsSync(SUITE);
if (!available) {
  console.warn(`CRS regression suite skipped: needs ${DEBIAN_CRS.loadFile} (apt-get install modsecurity-crs) and ${SUITE}`);
}

(available ? describe : describe.skip)('CRS 3.3.4 regression suite', () => {
  const families = available ? ftw.loadFtwSuite(SUITE, (text) => parseYaml(text)) : [];
  let waf: Waf;
  beforeAll(() => {
    waf = Waf.fromDirectives(crsDirectives({ before: CRS_REGRESSION_SETUP }));
  });

  it('covers every family that has a floor', () => {
    expect(families.map((f) => f.name).sort()).toEqual(Object.keys(FLOORS).sort());
  });

  for (const family of families) {
    it(`${family.name} stays at or above its floor`, () => {
      const report = ftw.runFtwFamily(waf, family);
      console.log(`${report.name}: ${report.passed}/${report.total}` + (report.failures.length ? `  failing: ${report.failures.map((f) => f.title).join(' ')}` : ''));
      expect(report.passed).toBeGreaterThanOrEqual(FLOORS[family.name] ?? report.total);
    });
  }
});
