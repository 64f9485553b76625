import { lowercase } from './lowercase';

/**
 * Normalises a shell command line the way ModSecurity's t:cmdLine does: drops `\ " ' ^`,
 * turns runs of whitespace, `,` and `;` into one space, removes a space before `/` or `(`,
 * and lowercases.
 */
export function cmdLine(input: string): string {
  return lowercase(
    input
      .replace(/[\\"'^]+/g, '')
      .replace(/[ \t\r\n,;]+/g, ' ')
      .replace(/ ([/(])/g, '$1'),
  );
}
