import { isIP } from 'node:net';
import { CAPTURED_OUTBOUND_PORT, INJECTION_LABEL, meshMembership } from '../source/pod-workloads';
import { APP_HEALTH_ADDRESS_ENV, APP_HEALTH_PORT, APP_HOST_ENV, APP_PROBERS_ENV, probeRewriteOptedOut, rewriteProbes, type ProbedContainer, type ProbeRewrite } from './probe-rewrite';

/** Records what was injected; its presence makes re-injection (reinvocation, a re-applied pod) a no-op. */
export const STATUS_ANNOTATION = 'sidecar.trellis.dev/status';
/** The proxy's bootstrap and the CA roots, handed to it as files through the downward API. */
export const BOOTSTRAP_ANNOTATION = 'sidecar.trellis.dev/bootstrap';
export const CA_ROOTS_ANNOTATION = 'sidecar.trellis.dev/ca-roots';
/** Traffic the capture leaves alone, passed through to `trellis capture-init`. */
export const EXCLUDE_ANNOTATIONS = {
  inboundPorts: 'traffic.sidecar.trellis.dev/excludeInboundPorts',
  outboundPorts: 'traffic.sidecar.trellis.dev/excludeOutboundPorts',
  outboundCidrs: 'traffic.sidecar.trellis.dev/excludeOutboundIPRanges',
  includeOutboundCidrs: 'traffic.sidecar.trellis.dev/includeOutboundIPRanges',
} as const;

export const PROXY_CONTAINER = 'trellis-proxy';
export const CAPTURE_CONTAINER = 'trellis-capture';
export const PROXY_UID = 1337;
export const CAPTURED_INBOUND_PORT = 15006;
export const PROXY_ADMIN_PORT = 15000;
const TOKEN_VOLUME = 'trellis-token';
const TOKEN_DIR = '/var/run/secrets/tokens';
const TOKEN_FILE = 'trellis-ca-token';
const BOOTSTRAP_VOLUME = 'trellis-bootstrap';
const BOOTSTRAP_DIR = '/etc/trellis';

export interface InjectionSettings {
  proxyImage: string;
  trustDomain: string;
  /** host:port of the control plane's xDS and CA endpoints, as pods reach them. */
  xdsAddress: string;
  caAddress: string;
  controlPlaneId: string;
  /** Roots that authenticate the control plane before the proxy has a certificate. */
  caRootsPem: string;
  /** The audience of the projected token the proxy shows the CA. */
  tokenAudience: string;
}

/** The part of a Pod the injector reads. */
export interface AdmittedPod {
  metadata?: { name?: string; generateName?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { hostNetwork?: boolean; initContainers?: { name: string }[]; containers?: ProbedContainer[]; volumes?: { name: string }[] };
}

export interface JsonPatchOperation {
  op: 'add';
  path: string;
  value: unknown;
}

export type InjectionDecision =
  | { inject: true; patch: JsonPatchOperation[] }
  | { inject: false; reason: string }
  /** Bad input on the pod: admission is refused with this message rather than injecting something broken. */
  | { inject: false; refused: string };

/** RFC 6901: a key inside a JSON pointer. */
const pointerKey = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Whether a pod gets the mesh, and the RFC 6902 patch that adds it: the capture init
 * container, then the proxy as a native sidecar (an init container with restartPolicy
 * Always, Kubernetes ≥ 1.29) whose startup probe holds back every later container until the
 * proxy is ready, and which the kubelet stops only after the app containers (so Jobs end).
 * Which pods: meshMembership.
 */
export function injectionPatch(pod: AdmittedPod, namespaceLabels: Record<string, string>, settings: InjectionSettings): InjectionDecision {
  const annotations = pod.metadata?.annotations ?? {};
  if (annotations[STATUS_ANNOTATION]) return { inject: false, reason: 'already injected' };
  const membership = meshMembership(namespaceLabels[INJECTION_LABEL], pod.metadata ?? {});
  if (!membership.member) return { inject: false, reason: membership.reason };
  // A host-network pod shares the node's network: capturing it would capture the node.
  if (pod.spec?.hostNetwork) return { inject: false, reason: 'hostNetwork pod' };
  const spec = pod.spec ?? {};
  const taken = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c) => c.name);
  for (const name of [PROXY_CONTAINER, CAPTURE_CONTAINER]) if (taken.includes(name)) return { inject: false, reason: `already has a container named ${name}` };

  let captureArgs: string[];
  let probes: ProbeRewrite;
  try {
    captureArgs = captureInitArgs(annotations);
    probes = probeRewriteOptedOut(annotations) ? { replaced: [], probers: {} } : rewriteProbes(spec.containers ?? []);
  } catch (error) {
    return { inject: false, refused: (error as Error).message };
  }
  const status = { version: 1, initContainers: [CAPTURE_CONTAINER, PROXY_CONTAINER], volumes: [TOKEN_VOLUME, BOOTSTRAP_VOLUME] };
  const bootstrap = {
    xdsAddress: settings.xdsAddress, caAddress: settings.caAddress, trustDomain: settings.trustDomain, controlPlaneId: settings.controlPlaneId,
    rootCertFile: `${BOOTSTRAP_DIR}/root-cert.pem`, tokenDir: TOKEN_DIR,
  };
  const added = { [STATUS_ANNOTATION]: JSON.stringify(status), [BOOTSTRAP_ANNOTATION]: JSON.stringify(bootstrap), [CA_ROOTS_ANNOTATION]: settings.caRootsPem };
  const patch: JsonPatchOperation[] = [];
  if (!pod.metadata?.annotations) patch.push({ op: 'add', path: '/metadata/annotations', value: added });
  else for (const [key, value] of Object.entries(added)) patch.push({ op: 'add', path: `/metadata/annotations/${pointerKey(key)}`, value });
  const volumes = [tokenVolume(settings.tokenAudience), bootstrapVolume()];
  if (!spec.volumes) patch.push({ op: 'add', path: '/spec/volumes', value: volumes });
  else for (const volume of volumes) patch.push({ op: 'add', path: '/spec/volumes/-', value: volume });
  // First, before the app's own init containers: those get the mesh too.
  const initContainers = [captureContainer(settings, captureArgs), proxyContainer(settings, probes.probers)];
  if (!spec.initContainers) patch.push({ op: 'add', path: '/spec/initContainers', value: initContainers });
  else initContainers.forEach((container, i) => patch.push({ op: 'add', path: `/spec/initContainers/${i}`, value: container }));
  // `add` on a member that exists replaces it (RFC 6902 4.1).
  for (const { path, probe } of probes.replaced) patch.push({ op: 'add', path, value: probe });
  return { inject: true, patch };
}

function tokenVolume(audience: string) {
  // The kubelet rotates it at 80 % of its life; the proxy re-reads the file for every CSR.
  return { name: TOKEN_VOLUME, projected: { sources: [{ serviceAccountToken: { audience, expirationSeconds: 3600, path: TOKEN_FILE } }] } };
}

function bootstrapVolume() {
  const item = (path: string, annotation: string) => ({ path, fieldRef: { fieldPath: `metadata.annotations['${annotation}']` } });
  return { name: BOOTSTRAP_VOLUME, downwardAPI: { items: [item('bootstrap.json', BOOTSTRAP_ANNOTATION), item('root-cert.pem', CA_ROOTS_ANNOTATION)] } };
}

const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/**
 * The proxy's startup check, run with `node -e` inside its container: the admin endpoint
 * says ready and a first config from the control plane is applied (version ≥ 1), so an app
 * starting next finds its outbound listener in place. Exits 0 when both hold.
 */
export function startupProbeScript(adminPort: number): string {
  return [
    `const get = (p) => new Promise((ok, fail) => require('http').get('http://127.0.0.1:${adminPort}' + p, (r) => {`,
    `let body = ''; r.on('data', (c) => { body += c; }); r.on('end', () => ok({ status: r.statusCode, body })); }).on('error', fail));`,
    `get('/ready').then((r) => { if (r.status !== 200) throw new Error('not ready'); return get('/config_dump'); })`,
    `.then((r) => process.exit(r.status === 200 && JSON.parse(r.body).version > 0 ? 0 : 1), () => process.exit(1));`,
  ].join(' ');
}

function proxyContainer(settings: InjectionSettings, appProbers: ProbeRewrite['probers']) {
  const appHealthEnv = Object.keys(appProbers).length
    ? [{ name: APP_PROBERS_ENV, value: JSON.stringify(appProbers) }, { name: APP_HEALTH_ADDRESS_ENV, value: `0.0.0.0:${APP_HEALTH_PORT}` }, fieldEnv(APP_HOST_ENV, 'status.podIP')]
    : [];
  return {
    name: PROXY_CONTAINER,
    image: settings.proxyImage,
    // A native sidecar: started before, and stopped after, the app containers.
    restartPolicy: 'Always',
    args: [
      'proxy', '--node=$(POD_NAME).$(POD_NAMESPACE)', '--service-account=$(SERVICE_ACCOUNT)',
      `--bootstrap=${BOOTSTRAP_DIR}/bootstrap.json`, `--token-file=${TOKEN_DIR}/${TOKEN_FILE}`, `--admin-port=${PROXY_ADMIN_PORT}`,
    ],
    // What the args name: the node id is <pod>.<namespace>, known only once the pod is scheduled.
    env: [fieldEnv('POD_NAME', 'metadata.name'), fieldEnv('POD_NAMESPACE', 'metadata.namespace'), fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'), ...appHealthEnv],
    // The admin port listens on loopback only, so the kubelet (which probes the pod IP) asks from inside.
    startupProbe: { exec: { command: ['node', '-e', startupProbeScript(PROXY_ADMIN_PORT)] }, periodSeconds: 1, failureThreshold: 120, timeoutSeconds: 3 },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
    securityContext: {
      runAsUser: PROXY_UID, runAsGroup: PROXY_UID, runAsNonRoot: true, readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [{ name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true }, { name: BOOTSTRAP_VOLUME, mountPath: BOOTSTRAP_DIR, readOnly: true }],
  };
}

function captureContainer(settings: InjectionSettings, args: string[]) {
  return {
    name: CAPTURE_CONTAINER,
    image: settings.proxyImage,
    args: ['capture-init', `--proxy-uid=${PROXY_UID}`, `--inbound-port=${CAPTURED_INBOUND_PORT}`, `--outbound-port=${CAPTURED_OUTBOUND_PORT}`, ...args],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
    // Root with NET_ADMIN/NET_RAW only, to write the pod's nat rules; nothing else.
    securityContext: {
      runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] },
    },
  };
}

const FLAGS: Record<keyof typeof EXCLUDE_ANNOTATIONS, string> = {
  inboundPorts: '--exclude-inbound-ports', outboundPorts: '--exclude-outbound-ports',
  outboundCidrs: '--exclude-outbound-cidrs', includeOutboundCidrs: '--include-outbound-cidrs',
};

/**
 * The exclusion annotations as capture-init flags, checked here so a typo refuses the pod
 * instead of failing its init. The health port is always left out of inbound capture: the
 * kubelet reaches it in plaintext.
 */
function captureInitArgs(annotations: Record<string, string>): string[] {
  const args: string[] = [];
  for (const [field, annotation] of Object.entries(EXCLUDE_ANNOTATIONS) as [keyof typeof EXCLUDE_ANNOTATIONS, string][]) {
    const items = (annotations[annotation] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const isPorts = field === 'inboundPorts' || field === 'outboundPorts';
    for (const item of items) {
      const valid = isPorts ? /^\d+$/.test(item) && Number(item) >= 1 && Number(item) <= 65535 : isCidr(item);
      if (!valid) throw new Error(`annotation ${annotation}: "${item}" is not ${isPorts ? 'a port number' : 'an address or CIDR'}`);
    }
    if (field === 'inboundPorts' && !items.includes(String(APP_HEALTH_PORT))) items.push(String(APP_HEALTH_PORT));
    if (items.length) args.push(`${FLAGS[field]}=${items.join(',')}`);
  }
  return args;
}

function isCidr(text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/');
  const bits = isIP(address) === 4 ? 32 : isIP(address) === 6 ? 128 : 0;
  if (!bits || rest.length) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= bits);
}
