import type { BodyProcessor } from './types';
import type { Transaction } from '../engine/transaction';
import { urlencoded } from './urlencoded';
import { multipart } from './multipart';
import { json } from './json';
import { xml } from './xml';

const PROCESSORS: Record<string, BodyProcessor> = { URLENCODED: urlencoded, MULTIPART: multipart, JSON: json, XML: xml };

/** The processor ModSecurity picks from Content-Type when no ctl:requestBodyProcessor chose one. */
function fromContentType(contentType: string): string | undefined {
  const ct = contentType.toLowerCase();
  if (ct.startsWith('application/x-www-form-urlencoded')) return 'URLENCODED';
  if (ct.startsWith('multipart/form-data')) return 'MULTIPART';
  return undefined;
}

export function processBody(tx: Transaction, body: string, contentType: string): void {
  const name = tx.requestBodyProcessor ?? fromContentType(contentType);
  tx.setSingle('REQBODY_ERROR', '0');
  tx.setSingle('REQBODY_PROCESSOR_ERROR', '0');
  // As libmodsecurity v3 does (and CRS 3.3's tests expect): the raw body is REQUEST_BODY
  // whatever the processor, so rules also see XML element names and JSON keys.
  if (body.length > 0) tx.setSingle('REQUEST_BODY', body);
  if (!name) return;
  tx.setSingle('REQBODY_PROCESSOR', name);
  const processor = PROCESSORS[name];
  if (processor) processor(tx, body, contentType);
}
