import type { BodyProcessor } from './types';
import { bodyError } from './types';
import { htmlEntityDecode } from '../transformations/html-entity-decode';

/**
 * A small XML reader: enough for the XML collection as CRS reads it — `XML:/*` (all text of
 * the document) and `XML://@*` (every attribute value). Well-formedness errors set REQBODY_ERROR.
 */
export const xml: BodyProcessor = (tx, body) => {
  const texts: string[] = [];
  const attributes: string[] = [];
  const stack: string[] = [];
  let sawRoot = false;
  const tag = /<(\/?)([A-Za-z_:][\w:.-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<|[^<]+/gy;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const [whole, closing, name, attrs, selfClosing, cdata] = m;
    if (name !== undefined) {
      if (closing) {
        if (stack.pop() !== name) return bodyError(tx, `XML parsing error: mismatched </${name}>`);
        continue;
      }
      if (stack.length === 0 && sawRoot) return bodyError(tx, 'XML parsing error: extra content after the root element');
      sawRoot = true;
      for (const a of (attrs ?? '').matchAll(/\s+[^\s=/>]+\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attributes.push(htmlEntityDecode(a[1] ?? a[2] ?? ''));
      if (!selfClosing) stack.push(name);
    } else if (cdata !== undefined) {
      texts.push(cdata);
    } else if (whole === '<') {
      return bodyError(tx, 'XML parsing error: invalid markup');
    } else if (!whole.startsWith('<')) {
      if (stack.length === 0 && whole.trim()) return bodyError(tx, 'XML parsing error: text outside the root element');
      texts.push(htmlEntityDecode(whole));
    }
  }
  if (!sawRoot || stack.length) return bodyError(tx, 'XML parsing error: document is not complete');
  const coll = tx.collection('XML');
  coll.add('/*', texts.join(''));
  for (const value of attributes) coll.add('//@*', value);
};
