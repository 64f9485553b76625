import type { Transformation } from '../engine/rule';
import { base64Decode, escapeSeqDecode, hexDecode, hexEncode, length, md5, sha1, sqlHexDecode, utf8toUnicode } from './codecs';
import { cmdLine } from './cmd-line';
import { removeComments, replaceComments } from './comments';
import { cssDecode } from './css-decode';
import { htmlEntityDecode } from './html-entity-decode';
import { jsDecode } from './js-decode';
import { lowercase } from './lowercase';
import { normalizePath, normalizePathWin } from './normalize-path';
import { removeNulls, replaceNulls } from './nulls';
import { urlDecode } from './url-decode';
import { urlDecodeUni } from './url-decode-uni';
import { compressWhitespace, removeWhitespace, trim, trimLeft, trimRight } from './whitespace';

/** Transformations by lower-cased name (`t:urlDecodeUni`). `none` is handled by the parser. */
const TRANSFORMATIONS: Record<string, Transformation> = {
  base64decode: base64Decode,
  base64decodeext: base64Decode,
  cmdline: cmdLine,
  compresswhitespace: compressWhitespace,
  cssdecode: cssDecode,
  escapeseqdecode: escapeSeqDecode,
  hexdecode: hexDecode,
  hexencode: hexEncode,
  htmlentitydecode: htmlEntityDecode,
  jsdecode: jsDecode,
  length,
  lowercase,
  md5,
  normalisepath: normalizePath,
  normalizepath: normalizePath,
  normalisepathwin: normalizePathWin,
  normalizepathwin: normalizePathWin,
  removecomments: removeComments,
  removecommentschar: (s) => s.replace(/\/\*|\*\/|--|#/g, ''),
  removenulls: removeNulls,
  removewhitespace: removeWhitespace,
  replacecomments: replaceComments,
  replacenulls: replaceNulls,
  sha1,
  sqlhexdecode: sqlHexDecode,
  trim,
  trimleft: trimLeft,
  trimright: trimRight,
  uppercase: (s) => s.replace(/[a-z]+/g, (m) => m.toUpperCase()),
  urldecode: urlDecode,
  urldecodeuni: urlDecodeUni,
  urlencode: (s) => s.replace(/[^A-Za-z0-9*\-._]/g, (c) => (c === ' ' ? '+' : '%' + c.charCodeAt(0).toString(16).padStart(2, '0'))),
  utf8tounicode: utf8toUnicode,
};

export function getTransformation(name: string): Transformation | undefined {
  return TRANSFORMATIONS[name.toLowerCase()];
}
