import type { BodyProcessor } from './types';
import { bodyError } from './types';
import type { Transaction } from '../engine/transaction';

const FLAGS = [
  'MULTIPART_BOUNDARY_QUOTED', 'MULTIPART_BOUNDARY_WHITESPACE', 'MULTIPART_DATA_BEFORE', 'MULTIPART_DATA_AFTER',
  'MULTIPART_HEADER_FOLDING', 'MULTIPART_LF_LINE', 'MULTIPART_CRLF_LF_LINES', 'MULTIPART_MISSING_SEMICOLON',
  'MULTIPART_INVALID_QUOTING', 'MULTIPART_INVALID_PART', 'MULTIPART_INVALID_HEADER_FOLDING',
  'MULTIPART_FILE_LIMIT_EXCEEDED', 'MULTIPART_UNMATCHED_BOUNDARY',
] as const;
type Flag = (typeof FLAGS)[number];

/** Reads `name="x"` / `name=x` parameters of a Content-Disposition header. */
function dispositionParams(value: string, flag: (f: Flag) => void): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:\\.|[^"\\])*)"|([^;\s]*))/g;
  for (const m of value.matchAll(re)) {
    if (m[3] !== undefined && /['"]/.test(m[3])) flag('MULTIPART_INVALID_QUOTING');
    params.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
  }
  if (/^form-data\s*[^;\s]/.test(value)) flag('MULTIPART_MISSING_SEMICOLON');
  return params;
}

/**
 * multipart/form-data: fields become ARGS_POST, files FILES / FILES_NAMES / FILES_SIZES, part
 * headers MULTIPART_PART_HEADERS; the MULTIPART_* flags and MULTIPART_STRICT_ERROR record
 * the irregularities ModSecurity checks for.
 */
export const multipart: BodyProcessor = (tx, body, contentType) => {
  const flags = new Set<Flag>();
  const flag = (f: Flag) => flags.add(f);
  const m = /boundary\s*=\s*("?)([^";,]*)("?)/i.exec(contentType);
  const finish = () => setFlags(tx, flags);
  if (!m || !m[2]) {
    bodyError(tx, 'Multipart: boundary not found in Content-Type');
    flags.add('MULTIPART_INVALID_PART');
    return finish();
  }
  if (m[1] || m[3]) flag('MULTIPART_BOUNDARY_QUOTED');
  if (/boundary\s+=|=\s+/i.test(contentType) || /\s$/.test(m[2])) flag('MULTIPART_BOUNDARY_WHITESPACE');
  const boundary = m[2].trim();
  const delimiter = `--${boundary}`;
  const first = body.indexOf(delimiter);
  if (first < 0) {
    bodyError(tx, 'Multipart: no boundaries found in payload');
    flag('MULTIPART_UNMATCHED_BOUNDARY');
    return finish();
  }
  if (first > 0 && body.slice(0, first).trim()) flag('MULTIPART_DATA_BEFORE');
  const post = tx.collection('ARGS_POST');
  const args = tx.collection('ARGS');
  const files = tx.collection('FILES');
  const sizes = tx.collection('FILES_SIZES');
  const partHeaders = tx.collection('MULTIPART_PART_HEADERS');
  let filesSize = 0;
  let pos = first;
  let closed = false;
  let sawLf = false;
  let sawCrlf = false;
  while (pos >= 0) {
    let after = pos + delimiter.length;
    if (body.startsWith('--', after)) {
      closed = true;
      const rest = body.slice(after + 2);
      if (rest.replace(/^\r?\n/, '').length) flag('MULTIPART_DATA_AFTER');
      break;
    }
    if (body.startsWith('\r\n', after)) {
      sawCrlf = true;
      after += 2;
    } else if (body[after] === '\n') {
      sawLf = true;
      after += 1;
    } else {
      flag('MULTIPART_INVALID_PART');
    }
    const next = body.indexOf(`\n${delimiter}`, after);
    if (next < 0) {
      flag('MULTIPART_UNMATCHED_BOUNDARY');
      break;
    }
    let part = body.slice(after, next);
    if (part.endsWith('\r')) part = part.slice(0, -1);
    const headerEnd = /\r?\n\r?\n/.exec(part);
    if (!headerEnd) {
      flag('MULTIPART_INVALID_PART');
      pos = next + 1;
      continue;
    }
    const headerText = part.slice(0, headerEnd.index);
    const content = part.slice(headerEnd.index + headerEnd[0].length);
    const headers: string[] = [];
    for (const line of headerText.split(/\r?\n/)) {
      if (/^[ \t]/.test(line) && headers.length) {
        flag('MULTIPART_HEADER_FOLDING');
        headers[headers.length - 1] += line;
      } else headers.push(line);
    }
    let name: string | undefined;
    let filename: string | undefined;
    for (const h of headers) {
      const colon = h.indexOf(':');
      if (colon <= 0) {
        flag('MULTIPART_INVALID_PART');
        continue;
      }
      if (h.slice(0, colon).trim().toLowerCase() === 'content-disposition') {
        const value = h.slice(colon + 1).trim();
        const params = dispositionParams(value, flag);
        name = params.get('name');
        filename = params.get('filename') ?? params.get('filename*');
      }
    }
    if (name === undefined) {
      flag('MULTIPART_INVALID_PART');
    } else {
      for (const h of headers) partHeaders.add(name, h);
      if (filename !== undefined) {
        files.add(name, filename);
        sizes.add(name, String(content.length));
        filesSize += content.length;
        tx.setSingle('MULTIPART_FILENAME', filename);
      } else {
        post.add(name, content);
        args.add(name, content);
      }
      tx.setSingle('MULTIPART_NAME', name);
    }
    pos = next + 1;
  }
  if (!closed) flag('MULTIPART_UNMATCHED_BOUNDARY');
  if (sawLf) flag('MULTIPART_LF_LINE');
  if (sawLf && sawCrlf) flag('MULTIPART_CRLF_LF_LINES');
  tx.setSingle('FILES_COMBINED_SIZE', String(filesSize));
  finish();
};

function setFlags(tx: Transaction, flags: Set<Flag>): void {
  let strict = false;
  for (const f of FLAGS) {
    const on = flags.has(f);
    tx.setSingle(f, on ? '1' : '0');
    if (on && f !== 'MULTIPART_LF_LINE') strict = true;
  }
  tx.setSingle('MULTIPART_SEMICOLON_MISSING', flags.has('MULTIPART_MISSING_SEMICOLON') ? '1' : '0');
  tx.setSingle('MULTIPART_STRICT_ERROR', strict ? '1' : '0');
  if (flags.has('MULTIPART_UNMATCHED_BOUNDARY') && tx.single('REQBODY_ERROR') !== '1') tx.setSingle('REQBODY_ERROR', '0');
}
