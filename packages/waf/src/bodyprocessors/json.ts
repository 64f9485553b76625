import type { BodyProcessor } from './types';
import { bodyError } from './types';
import { toByteString } from '../bytes';

const MAX_DEPTH = 1024;

/**
 * JSON bodies are flattened into ARGS the way ModSecurity names them: `json.a.b` for object
 * members, `json.list.array_0` for array items; values are the scalars' text.
 */
export const json: BodyProcessor = (tx, body) => {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body, 'latin1').toString('utf8'));
  } catch (e) {
    bodyError(tx, `JSON parsing error: ${(e as Error).message}`);
    return;
  }
  const post = tx.collection('ARGS_POST');
  const args = tx.collection('ARGS');
  const add = (name: string, value: string) => {
    const n = toByteString(name);
    const v = toByteString(value);
    post.add(n, v);
    args.add(n, v);
  };
  const walk = (node: unknown, prefix: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw new Error('too deep');
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${prefix}.array_${i}`, depth + 1));
    } else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, `${prefix}.${k}`, depth + 1);
    } else {
      add(prefix, node === null ? '' : String(node));
    }
  };
  try {
    walk(doc, 'json', 0);
  } catch {
    bodyError(tx, 'JSON parsing error: nesting too deep');
  }
};
