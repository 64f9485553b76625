import type { Transaction } from '../engine/transaction';

/** Parses a request body into the transaction's variables (ARGS_POST, FILES, XML …). */
export type BodyProcessor = (tx: Transaction, body: string, contentType: string) => void;

/** Records a body that could not be parsed: REQBODY_ERROR=1 and its message. */
export function bodyError(tx: Transaction, message: string): void {
  tx.setSingle('REQBODY_ERROR', '1');
  tx.setSingle('REQBODY_ERROR_MSG', message);
  tx.setSingle('REQBODY_PROCESSOR_ERROR', '1');
}
