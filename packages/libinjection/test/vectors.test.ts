/**
 * libinjection's own unit-test vectors (shared/data/libinjection-tests, BSD-3-Clause), one
 * jest test per file, checked the way libinjection's C test driver (src/testdriver.c) does:
 *
 * - test-tokens-*  : every token of the input, flags QUOTE_NONE | SQL_ANSI, printed `type value`
 * - test-folding-* : the folded tokens, same flags and format
 * - test-sqli-*    : libinjection_sqli(): the fingerprint, or nothing when not SQLi
 * - test-html5-*   : the HTML5 tokens from the data state, printed `TYPE,len,bytes`
 *
 * Like the driver, INPUT and EXPECTED are right-trimmed of spaces, tabs and newlines, the
 * files are read as bytes, and the output lines are joined with '\n'.
 */
import * as fs from 'fs';
import * as path from 'path';
import { detectSQLi, foldSql, tokenizeHtml5, tokenizeSql } from '../src';

const DIR = path.resolve(__dirname, '../../../../shared/data/libinjection-tests');

interface Vector {
  file: string;
  input: string;
  expected: string;
}

function rtrim(s: string): string {
  return s.replace(/[ \n\t\r]+$/, '');
}

/** Parses a --TEST-- / --INPUT-- / --EXPECTED-- file the way testdriver.c's read_file does. */
function readVector(file: string): Vector {
  const text = fs.readFileSync(path.join(DIR, file)).toString('latin1');
  const lines = text.split(/(?<=\n)/);
  const parts: Record<string, string> = { test: '', input: '', expected: '' };
  let section: string | null = null;
  let step = 0;
  for (const line of lines) {
    if (step === 0 && line === '--TEST--\n') {
      section = 'test';
      step = 1;
    } else if (step === 1 && line === '--INPUT--\n') {
      section = 'input';
      step = 2;
    } else if (step === 2 && line === '--EXPECTED--\n') {
      section = 'expected';
      step = 3;
    } else if (section) {
      parts[section] += line;
    }
  }
  if (step !== 3) throw new Error(`${file}: malformed vector`);
  return { file, input: rtrim(parts.input!), expected: rtrim(parts.expected!) };
}

function actual(v: Vector): string {
  let out: string;
  if (v.file.startsWith('test-tokens-')) {
    out = tokenizeSql(v.input).join('\n');
  } else if (v.file.startsWith('test-folding-')) {
    out = foldSql(v.input).join('\n');
  } else if (v.file.startsWith('test-sqli-')) {
    out = detectSQLi(v.input).fingerprint;
  } else if (v.file.startsWith('test-html5-')) {
    out = tokenizeHtml5(v.input).join('\n');
  } else {
    throw new Error(`unknown vector family: ${v.file}`);
  }
  return rtrim(out);
}

const FAMILIES = ['test-tokens-', 'test-folding-', 'test-sqli-', 'test-html5-'] as const;

if (!fs.existsSync(DIR)) {
  describe('libinjection test vectors', () => {
    it.skip(`skipped: vector folder not found at ${DIR}`, () => undefined);
  });
} else {
  const files = fs.readdirSync(DIR).filter((f) => f.startsWith('test-') && f.endsWith('.txt')).sort();
  for (const family of FAMILIES) {
    const mine = files.filter((f) => f.startsWith(family));
    describe(`libinjection vectors: ${family}* (${mine.length} files)`, () => {
      it('has vectors', () => {
        expect(mine.length).toBeGreaterThan(0);
      });
      for (const file of mine) {
        it(file, () => {
          const v = readVector(file);
          expect(actual(v)).toBe(v.expected);
        });
      }
    });
  }
}
