import type { BodyProcessor } from './types';
import { parseUrlEncoded } from '../engine/request-line';

export const urlencoded: BodyProcessor = (tx, body) => {
  parseUrlEncoded(body, [tx.collection('ARGS_POST'), tx.collection('ARGS')]);
};
