/** Replaces each C-style comment with one space; an unterminated one runs to the end. */
export function replaceComments(input: string): string {
  if (input.indexOf('/*') < 0) return input;
  return input.replace(/\/\*[\s\S]*?(?:\*\/|$)/g, ' ');
}

/** Removes C-style and HTML (`<!-- -->`) comments, and `--` / `#` line comments to the end. */
export function removeComments(input: string): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    if (input.startsWith('/*', i)) {
      const end = input.indexOf('*/', i + 2);
      i = end < 0 ? input.length : end + 2;
    } else if (input.startsWith('<!--', i)) {
      const end = input.indexOf('-->', i + 4);
      i = end < 0 ? input.length : end + 3;
    } else if (input.startsWith('--', i) || input[i] === '#') {
      break;
    } else {
      out += input[i++];
    }
  }
  return out;
}
