import { lowercase } from './lowercase';

const NEEDS_REWRITE = /[\\"'^\t\r\n,;]| [ /(]/;

/**
 * Normalises a shell command line the way ModSecurity's t:cmdLine does: drops `\ " ' ^`,
 * turns runs of whitespace, `,` and `;` into one space, removes a space before `/` or `(`,
 * and lowercases.
 */
export function cmdLine(input: string): string {
  // Nothing to drop, join or move (the common case): only the lowercasing applies.
  if (!NEEDS_REWRITE.test(input)) return lowercase(input);
  return lowercase(
    input
      .replace(/[\\"'^]+/g, '')
      .replace(/[ \t\r\n,;]+/g, ' ')
      .replace(/ ([/(])/g, '$1'),
  );
}
