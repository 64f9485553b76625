import { inlinePem, type FieldChecker, type Secret } from '@trellis/xds';

export function translateSecret(check: FieldChecker, secret: Secret) {
  if (secret.type === 'tls_certificate') {
    return {
      name: secret.name,
      tlsCertificate: {
        certChainPem: inlinePem(check, secret.tls_certificate?.certificate_chain, 'tls_certificate.certificate_chain'),
        privateKeyPem: inlinePem(check, secret.tls_certificate?.private_key, 'tls_certificate.private_key'),
      },
    };
  }
  return { name: secret.name, validationContext: { trustedCaPem: inlinePem(check, secret.validation_context?.trusted_ca, 'validation_context.trusted_ca') } };
}
