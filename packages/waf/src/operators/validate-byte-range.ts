import type { OperatorFactory } from './types';

/** @validateByteRange 1-255 / 9,10,13,32-126: matches when a byte falls outside the ranges. */
export const validateByteRange: OperatorFactory = (argument) => {
  const allowed = new Uint8Array(256);
  for (const part of argument.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m) throw new Error(`invalid byte range "${part}"`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from > 255 || to > 255 || from > to) throw new Error(`invalid byte range "${part}"`);
    for (let b = from; b <= to; b++) allowed[b] = 1;
  }
  return (input) => {
    for (let i = 0; i < input.length; i++) if (!allowed[input.charCodeAt(i) & 0xff]) return true;
    return false;
  };
};
