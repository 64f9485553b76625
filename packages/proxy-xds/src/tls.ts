import { FieldChecker, unpackAny, type TypedExtension } from '@trellis/xds';
import { rejectUnsupported } from './supported';

const DOWNSTREAM = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UPSTREAM = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

interface SdsConfig { name: string }
interface ValidationContext { match_typed_subject_alt_names?: { san_type: string; matcher?: { exact?: string } }[] }
interface CommonTlsContext {
  tls_certificate_sds_secret_configs?: SdsConfig[];
  validation_context_sds_secret_config?: SdsConfig;
  combined_validation_context?: { default_validation_context?: ValidationContext; validation_context_sds_secret_config?: SdsConfig };
  alpn_protocols?: string[];
}

/** Certificates come by SDS name only: our proxies never receive private keys inline. */
function commonContext(check: FieldChecker, context: CommonTlsContext | undefined, at: string) {
  rejectUnsupported(check, context, ['tls_certificate_sds_secret_configs', 'validation_context_sds_secret_config', 'combined_validation_context', 'alpn_protocols', 'validation_context_type'], at);
  const certificates = context?.tls_certificate_sds_secret_configs ?? [];
  check.require(certificates.length === 1, `${at}.tls_certificate_sds_secret_configs`, 'exactly one SDS certificate is required');
  const combined = context?.combined_validation_context;
  rejectUnsupported(check, combined, ['default_validation_context', 'validation_context_sds_secret_config'], `${at}.combined_validation_context`);
  rejectUnsupported(check, combined?.default_validation_context, ['match_typed_subject_alt_names'], `${at}.combined_validation_context.default_validation_context`);
  const sans = (combined?.default_validation_context?.match_typed_subject_alt_names ?? []).map((m, i) => {
    const field = `${at}.combined_validation_context.default_validation_context.match_typed_subject_alt_names[${i}]`;
    check.require(m.san_type === 'URI' && m.matcher?.exact, field, 'only exact URI SAN matchers (SPIFFE IDs) are supported');
    return m.matcher!.exact!;
  });
  const validation = combined?.validation_context_sds_secret_config ?? context?.validation_context_sds_secret_config;
  return { certificateSecret: certificates[0]!.name, validationSecret: validation?.name, matchSubjectAltNames: sans, alpn: context?.alpn_protocols ?? [] };
}

export function downstreamTls(check: FieldChecker, socket: TypedExtension, at: string) {
  check.require(socket.typed_config?.type_url === DOWNSTREAM, `${at}.typed_config`, 'only DownstreamTlsContext transport sockets are supported');
  const context = unpackAny<{ common_tls_context?: CommonTlsContext; require_client_certificate?: { value: boolean } }>(socket.typed_config!, { defaults: false });
  rejectUnsupported(check, context, ['common_tls_context', 'require_client_certificate'], `${at}.typed_config`);
  const common = commonContext(check, context.common_tls_context, `${at}.typed_config.common_tls_context`);
  return { ...common, requireClientCert: context.require_client_certificate?.value ?? false };
}

export function upstreamTls(check: FieldChecker, socket: TypedExtension, at: string) {
  check.require(socket.typed_config?.type_url === UPSTREAM, `${at}.typed_config`, 'only UpstreamTlsContext transport sockets are supported');
  const context = unpackAny<{ common_tls_context?: CommonTlsContext; sni?: string }>(socket.typed_config!, { defaults: false });
  rejectUnsupported(check, context, ['common_tls_context', 'sni'], `${at}.typed_config`);
  const common = commonContext(check, context.common_tls_context, `${at}.typed_config.common_tls_context`);
  check.require(common.validationSecret, `${at}.typed_config.common_tls_context`, 'an upstream TLS context needs a validation context (the trust bundle)');
  return { ...common, ...(context.sni ? { sni: context.sni } : {}) };
}
