import type { OperatorFactory } from './types';
import { isHex } from '../transformations/hex';

/** @validateUrlEncoding: matches on a `%` not followed by two hex digits. */
export const validateUrlEncoding: OperatorFactory = () => (input) => {
  for (let i = input.indexOf('%'); i >= 0; i = input.indexOf('%', i + 1)) {
    if (!isHex(input[i + 1]) || !isHex(input[i + 2])) return true;
  }
  return false;
};
