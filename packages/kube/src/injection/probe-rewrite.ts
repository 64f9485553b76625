/**
 * The kubelet probes the app's ports from the node in plaintext; captured inbound, a STRICT
 * mTLS listener refuses them and the pod never becomes ready. As Istio does, the injector
 * moves httpGet, tcpSocket and grpc probes to the proxy's health port (left out of the
 * capture), where the proxy runs the original probe against the app on localhost.
 *
 * The contract with the proxy (`@trellis/sidecar` app-health): the path prefix, and the
 * originals as JSON in TRELLIS_APP_PROBERS, keyed by path, ports resolved to numbers;
 * where to serve them and the pod IP to probe in the two variables below.
 */
export const APP_HEALTH_PORT = 15020;
export const APP_HEALTH_PATH_PREFIX = '/app-health/';
export const APP_PROBERS_ENV = 'TRELLIS_APP_PROBERS';
export const APP_HEALTH_ADDRESS_ENV = 'TRELLIS_APP_HEALTH_ADDRESS';
/** The pod IP, which the probes go to as the kubelet's did (an app may listen on it only). */
export const APP_HOST_ENV = 'TRELLIS_APP_HOST';
/** `"false"` keeps a pod's probes as they are (ours, and Istio's for pods moving over). */
export const REWRITE_PROBES_ANNOTATIONS = ['sidecar.trellis.dev/rewriteAppHTTPProbers', 'sidecar.istio.io/rewriteAppHTTPProbers'];

type PortRef = number | string;

/** The part of a probe the injector reads; every other field (period, thresholds…) is kept as it is. */
export interface Probe {
  httpGet?: { path?: string; port: PortRef; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: PortRef; host?: string };
  grpc?: { port: number; service?: string };
  exec?: unknown;
  timeoutSeconds?: number;
  [field: string]: unknown;
}

export interface ProbedContainer {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}

const PROBE_KINDS = { livenessProbe: 'livez', readinessProbe: 'readyz', startupProbe: 'startupz' } as const;

export interface ProbeRewrite {
  /** Where in the pod, e.g. /spec/containers/0/livenessProbe, and the probe now there. */
  replaced: { path: string; probe: Probe }[];
  /** The originals, for the proxy (APP_PROBERS_ENV). */
  probers: Record<string, unknown>;
}

export const probeRewriteOptedOut = (annotations: Record<string, string>) => REWRITE_PROBES_ANNOTATIONS.some((a) => annotations[a] === 'false');

/**
 * The app containers' probes moved to the health port. Left alone: exec probes, probes
 * naming another host (the kubelet does not probe the pod then), and probes already
 * pointing at the health port (so rewriting twice changes nothing). Throws, naming the
 * container and field, for a named port the container does not declare.
 */
export function rewriteProbes(containers: readonly ProbedContainer[]): ProbeRewrite {
  const rewrite: ProbeRewrite = { replaced: [], probers: {} };
  containers.forEach((container, index) => {
    for (const [field, kind] of Object.entries(PROBE_KINDS) as [keyof typeof PROBE_KINDS, string][]) {
      const probe = container[field];
      if (!probe) continue;
      const where = `container ${container.name} ${field}`;
      const original = originalProbe(probe, container, where);
      if (!original || (probe.httpGet?.port === APP_HEALTH_PORT && probe.httpGet.path?.startsWith(APP_HEALTH_PATH_PREFIX))) continue;
      const path = `${APP_HEALTH_PATH_PREFIX}${container.name}/${kind}`;
      const { httpGet: _http, tcpSocket: _tcp, grpc: _grpc, ...timing } = probe;
      rewrite.replaced.push({ path: `/spec/containers/${index}/${field}`, probe: { ...timing, httpGet: { path, port: APP_HEALTH_PORT, scheme: 'HTTP' } } });
      rewrite.probers[path] = { ...original, timeoutSeconds: probe.timeoutSeconds ?? 1 };
    }
  });
  return rewrite;
}

/** The probe as the proxy runs it, ports as numbers; undefined when it is not ours to move. */
function originalProbe(probe: Probe, container: ProbedContainer, where: string): Record<string, unknown> | undefined {
  if (probe.httpGet && !probe.httpGet.host) {
    const { path = '/', port, scheme = 'HTTP', httpHeaders = [] } = probe.httpGet;
    return { httpGet: { path, port: portNumber(port, container, `${where}.httpGet.port`), scheme: scheme.toUpperCase(), httpHeaders } };
  }
  if (probe.tcpSocket && !probe.tcpSocket.host) return { tcpSocket: { port: portNumber(probe.tcpSocket.port, container, `${where}.tcpSocket.port`) } };
  if (probe.grpc) return { grpc: { port: portNumber(probe.grpc.port, container, `${where}.grpc.port`), service: probe.grpc.service ?? '' } };
  return undefined;
}

function portNumber(port: PortRef, container: ProbedContainer, where: string): number {
  const number = typeof port === 'number' ? port : /^\d+$/.test(port) ? Number(port) : container.ports?.find((p) => p.name === port)?.containerPort;
  if (number === undefined) throw new Error(`${where}: the container declares no port named "${port}"`);
  if (!Number.isInteger(number) || number < 1 || number > 65535) throw new Error(`${where}: ${port} is not a port number`);
  return number;
}
