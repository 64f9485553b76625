import { TypeUrl } from '../type-urls';
import { defineResourceType, FieldChecker } from './check';
import type { DataSource, Secret } from './envoy-types';

/** PEM text of an inline data source. Files are refused: a pushed path names nothing on this host. */
export function inlinePem(check: FieldChecker, source: DataSource | null | undefined, field: string): string {
  const text = source?.inline_string || source?.inline_bytes?.toString('utf8') || '';
  check.require(!source?.filename, field, 'file data sources are not accepted over xDS; send the PEM inline');
  check.require(text.includes('-----BEGIN '), field, 'must hold PEM data');
  return text;
}

export const secretResourceType = defineResourceType<Secret>(TypeUrl.Secret, 'name', (secret, check) => {
  if (secret.type === 'tls_certificate') {
    inlinePem(check, secret.tls_certificate?.certificate_chain, 'tls_certificate.certificate_chain');
    inlinePem(check, secret.tls_certificate?.private_key, 'tls_certificate.private_key');
  } else {
    check.require(secret.type === 'validation_context', 'type', 'needs tls_certificate or validation_context');
    inlinePem(check, secret.validation_context?.trusted_ca, 'validation_context.trusted_ca');
  }
  return secret;
});
