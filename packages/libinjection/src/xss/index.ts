import { toByteString } from '../bytes';
import { HTML5_TYPE_NAMES, Html5Flags, Html5Tokenizer } from './html5';

export { detectXSS } from './detect';
export { Html5Flags } from './html5';

/**
 * The HTML5 tokens of `input` as libinjection's test driver prints them:
 * `TYPE,length,bytes` (the bytes stop at a NUL, like C's "%s").
 */
export function tokenizeHtml5(input: string | Buffer, flags: Html5Flags = Html5Flags.DATA_STATE): string[] {
  const h5 = new Html5Tokenizer(toByteString(input), flags);
  const out: string[] = [];
  while (h5.next()) {
    let text = h5.token;
    const nul = text.indexOf('\0');
    if (nul >= 0) text = text.slice(0, nul);
    out.push(`${HTML5_TYPE_NAMES[h5.tokenType]},${h5.tokenLen},${text}`);
  }
  return out;
}
