import { DiagnosticSink, decodeEnvelope, decodeObject, decodeSelector, describe, unwrap, type ValidationResult } from '@trellis/objects';
import { SECURITY_API_VERSIONS } from './api-versions';
import type { MtlsMode, PeerAuthentication, Workload } from './model';
import { compareStrings, DEFAULT_ROOT_NAMESPACE, selectorMatches } from './scope';

const MODES: readonly MtlsMode[] = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'];

function decodeMode(value: unknown, field: string, sink: DiagnosticSink): MtlsMode {
  const mtls = decodeObject(value, field, sink, ['mode']);
  const mode = mtls?.['mode'] ?? 'UNSET';
  if (!MODES.includes(mode as MtlsMode)) {
    sink.error(`${field}.mode`, `${describe(mode)} is not one of ${MODES.join(', ')}`);
    return 'UNSET';
  }
  return mode as MtlsMode;
}

/** Decodes and validates a PeerAuthentication object (parsed YAML/JSON). */
export function validatePeerAuthentication(input: unknown): ValidationResult<PeerAuthentication> {
  const sink = new DiagnosticSink('PeerAuthentication ?/?');
  const envelope = decodeEnvelope(input, sink, { kind: 'PeerAuthentication', apiVersions: SECURITY_API_VERSIONS });
  if (!envelope) return sink.failed();
  const spec = decodeObject(envelope.spec ?? {}, 'spec', sink, ['selector', 'mtls', 'portLevelMtls']) ?? {};
  const selector = decodeSelector(spec['selector'], 'spec.selector', sink);
  const mtlsMode = decodeMode(spec['mtls'], 'spec.mtls', sink);
  const portLevelMtls: Record<number, MtlsMode> = {};
  const rawPorts = decodeObject(spec['portLevelMtls'], 'spec.portLevelMtls', sink, 'map');
  for (const [port, mode] of Object.entries(rawPorts ?? {})) {
    const field = `spec.portLevelMtls["${port}"]`;
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) sink.error(field, `"${port}" is not a port (1-65535)`);
    else portLevelMtls[Number(port)] = decodeMode(mode ?? {}, field, sink);
  }
  if (Object.keys(portLevelMtls).length > 0 && !selector) {
    sink.error('spec.portLevelMtls', 'requires spec.selector (port-level mTLS only applies to selected workloads)');
  }
  const peerAuth: PeerAuthentication = { kind: 'PeerAuthentication', metadata: envelope.metadata, mtlsMode, portLevelMtls };
  if (selector) peerAuth.selector = selector;
  return sink.result(peerAuth);
}

export function parsePeerAuthentication(input: unknown): PeerAuthentication {
  return unwrap(validatePeerAuthentication(input));
}

export type EffectiveMtlsMode = Exclude<MtlsMode, 'UNSET'>;

export interface MtlsOptions {
  rootNamespace?: string;
  /** The mode when no PeerAuthentication sets one. Trellis defaults to STRICT (Istio: PERMISSIVE). */
  meshDefault?: EffectiveMtlsMode;
}

/** Oldest first (creationTimestamp), then by name: the one Istio picks when several compete. */
function oldest(candidates: PeerAuthentication[]): PeerAuthentication | undefined {
  const time = (p: PeerAuthentication) => (p.metadata.creationTimestamp ? Date.parse(p.metadata.creationTimestamp) : Number.POSITIVE_INFINITY);
  return [...candidates].sort((a, b) => time(a) - time(b) || compareStrings(a.metadata.name, b.metadata.name))[0];
}

/**
 * The mTLS mode a workload's inbound `port` enforces: workload (selector) over namespace
 * over mesh (root namespace, no selector); UNSET inherits from the level above; a
 * workload policy's portLevelMtls overrides its own mode for that port.
 */
export function effectiveMtlsMode(peerAuths: readonly PeerAuthentication[], workload: Workload, port: number, options: MtlsOptions = {}): EffectiveMtlsMode {
  const root = options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  const mesh = oldest(peerAuths.filter((p) => p.metadata.namespace === root && !p.selector));
  const namespace = workload.namespace === root ? undefined : oldest(peerAuths.filter((p) => p.metadata.namespace === workload.namespace && !p.selector));
  // Istio ignores selector policies in the root namespace, even for workloads living there.
  const workloadLevel = oldest(
    peerAuths.filter((p) => p.metadata.namespace === workload.namespace && p.metadata.namespace !== root && p.selector && selectorMatches(p.selector, workload.labels)),
  );
  let mode: EffectiveMtlsMode = options.meshDefault ?? 'STRICT';
  for (const level of [mesh, namespace, workloadLevel]) {
    if (level && level.mtlsMode !== 'UNSET') mode = level.mtlsMode;
  }
  const portMode = workloadLevel?.portLevelMtls[port];
  return portMode === undefined || portMode === 'UNSET' ? mode : portMode;
}
