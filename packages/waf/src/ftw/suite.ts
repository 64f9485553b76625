import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Waf } from '../waf';
import { loadFtwDocument } from './load';
import { runFtwTest } from './run';
import type { FtwResult, FtwTest } from './types';

/** A directory of FTW tests grouped by rule file (REQUEST-942-APPLICATION-ATTACK-SQLI …). */
export interface FtwFamily {
  readonly name: string;
  readonly tests: FtwTest[];
}

export interface FamilyReport {
  readonly name: string;
  readonly passed: number;
  readonly total: number;
  readonly failures: FtwResult[];
}

/** Reads every `*.yaml` under each family directory of `root`; `parseYaml` parses one file. */
export function loadFtwSuite(root: string, parseYaml: (text: string) => unknown): FtwFamily[] {
  return readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory())
    .sort()
    .map((name) => ({
      name,
      tests: readdirSync(join(root, name))
        .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
        .sort()
        .flatMap((f) => loadFtwDocument(parseYaml(readFileSync(join(root, name, f), 'utf8')), f)),
    }));
}

export function runFtwFamily(waf: Waf, family: FtwFamily): FamilyReport {
  const failures: FtwResult[] = [];
  for (const test of family.tests) {
    const result = runFtwTest(waf, test);
    if (!result.passed) failures.push(result);
  }
  return { name: family.name, passed: family.tests.length - failures.length, total: family.tests.length, failures };
}
