/** A path with any of these changes; most values (a word, `/a/b`) have none and come back as they are. */
const NOT_NORMAL = /\/\/|(?:^|\/)\.\.?(?:\/|$)/;

/** Removes `.` and `..` segments and repeated slashes, keeping a trailing slash. */
export function normalizePath(input: string): string {
  if (!NOT_NORMAL.test(input)) return input;
  const absolute = input.startsWith('/');
  const trailing = input.endsWith('/') || input.endsWith('/.') || input.endsWith('/..');
  const out: string[] = [];
  for (const seg of input.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(seg);
  }
  let result = (absolute ? '/' : '') + out.join('/');
  if (trailing && out.length) result += '/';
  return result;
}

export function normalizePathWin(input: string): string {
  return normalizePath(input.replace(/\\/g, '/'));
}
