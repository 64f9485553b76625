import { validateAuthorizationPolicy } from './authorization-policy';
import type { Diagnostic } from '@trellis/objects';
import type { AuthorizationPolicy, PeerAuthentication } from './model';
import { validatePeerAuthentication } from './peer-authentication';

export interface SecurityResources {
  authorizationPolicies: AuthorizationPolicy[];
  peerAuthentications: PeerAuthentication[];
  /** Objects with errors are left out of the lists above; objects of other kinds are reported here too. */
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** Validates a batch of parsed YAML/JSON objects (e.g. every document of a file) by their `kind`. */
export function validateSecurityResources(inputs: readonly unknown[]): SecurityResources {
  const out: SecurityResources = { authorizationPolicies: [], peerAuthentications: [], errors: [], warnings: [] };
  inputs.forEach((input, i) => {
    const kind = typeof input === 'object' && input !== null ? (input as { kind?: unknown }).kind : undefined;
    if (kind === 'AuthorizationPolicy') {
      const result = validateAuthorizationPolicy(input);
      if (result.value) out.authorizationPolicies.push(result.value);
      out.errors.push(...result.errors);
      out.warnings.push(...result.warnings);
    } else if (kind === 'PeerAuthentication') {
      const result = validatePeerAuthentication(input);
      if (result.value) out.peerAuthentications.push(result.value);
      out.errors.push(...result.errors);
      out.warnings.push(...result.warnings);
    } else {
      out.errors.push({ object: `document ${i}`, field: 'kind', message: `${JSON.stringify(kind)} is not AuthorizationPolicy or PeerAuthentication` });
    }
  });
  return out;
}
