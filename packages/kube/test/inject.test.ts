import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Proxy } from '@trellis/proxy';
import { AppHealthServer, appHealthFromEnvironment } from '@trellis/sidecar';
import { injectionPatch, startupProbeScript, type AdmittedPod, type InjectionSettings } from '../src/injection/inject';
import { applyJsonPatch } from './fake-apiserver';

const settings: InjectionSettings = {
  proxyImage: 'ghcr.io/trellis-mesh/proxy:test', trustDomain: 'cluster.local',
  xdsAddress: 'trellis-control-plane.trellis-system.svc:15010', caAddress: 'trellis-control-plane.trellis-system.svc:15012',
  controlPlaneId: 'spiffe://cluster.local/ns/trellis-system/sa/trellis-control-plane',
  caRootsPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', tokenAudience: 'trellis-ca',
};
const IN_MESH = { 'trellis-injection': 'enabled' };

interface Container {
  name: string; restartPolicy?: string; args?: string[]; securityContext?: Record<string, unknown>; volumeMounts?: { name: string; mountPath: string }[];
  ports?: { name?: string; containerPort: number }[]; env?: { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[];
  startupProbe?: Record<string, unknown>; livenessProbe?: Record<string, unknown>; readinessProbe?: Record<string, unknown>;
}
interface Pod {
  metadata: { generateName?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { hostNetwork?: boolean; serviceAccountName?: string; initContainers?: Container[]; containers: Container[]; volumes?: { name: string; projected?: unknown; downwardAPI?: unknown }[] };
}

const appPod = (extra: Partial<Pod['metadata']> = {}, spec: Partial<Pod['spec']> = {}): Pod => ({
  metadata: { generateName: 'reviews-7d9f-', labels: { app: 'reviews' }, ...extra },
  spec: { serviceAccountName: 'reviews', containers: [{ name: 'app' }], ...spec },
});

/** Runs the webhook's answer the way the API server does: apply the patch to the pod. */
function admit(pod: Pod, namespaceLabels: Record<string, string> = IN_MESH): { pod: Pod; reason?: string } {
  const decision = injectionPatch(pod as AdmittedPod, namespaceLabels, settings);
  if ('refused' in decision) throw new Error(decision.refused);
  if (!decision.inject) return { pod, reason: decision.reason };
  return { pod: applyJsonPatch(JSON.parse(JSON.stringify(pod)) as Pod, decision.patch) };
}

describe('sidecar injection patch', () => {
  it('adds the capture init, then the proxy as a native sidecar, with its token, bootstrap and status', () => {
    const { pod } = admit(appPod());
    expect(pod.spec.initContainers!.map((c) => c.name)).toEqual(['trellis-capture', 'trellis-proxy']);
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['app']);
    const [capture, proxy] = pod.spec.initContainers!;
    expect(capture.args).toEqual(['capture-init', '--proxy-uid=1337', '--inbound-port=15006', '--outbound-port=15001', '--exclude-inbound-ports=15020']);
    expect(capture.securityContext).toMatchObject({ runAsUser: 0, capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] } });
    expect(proxy.restartPolicy).toBe('Always');
    expect(proxy.startupProbe).toMatchObject({ exec: { command: ['node', '-e', startupProbeScript(15000)] }, periodSeconds: 1 });
    expect(proxy.securityContext).toEqual({
      runAsUser: 1337, runAsGroup: 1337, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] },
    });
    expect(proxy.args).toContain('--token-file=/var/run/secrets/tokens/trellis-ca-token');
    expect(proxy.args).toContain('--node=$(POD_NAME).$(POD_NAMESPACE)');
    expect(pod.spec.volumes).toEqual([
      { name: 'trellis-token', projected: { sources: [{ serviceAccountToken: { audience: 'trellis-ca', expirationSeconds: 3600, path: 'trellis-ca-token' } }] } },
      { name: 'trellis-bootstrap', downwardAPI: { items: [
        { path: 'bootstrap.json', fieldRef: { fieldPath: "metadata.annotations['sidecar.trellis.dev/bootstrap']" } },
        { path: 'root-cert.pem', fieldRef: { fieldPath: "metadata.annotations['sidecar.trellis.dev/ca-roots']" } },
      ] } },
    ]);
    const annotations = pod.metadata.annotations!;
    expect(JSON.parse(annotations['sidecar.trellis.dev/status'])).toEqual({ version: 1, initContainers: ['trellis-capture', 'trellis-proxy'], volumes: ['trellis-token', 'trellis-bootstrap'] });
    expect(JSON.parse(annotations['sidecar.trellis.dev/bootstrap'])).toMatchObject({ xdsAddress: settings.xdsAddress, caAddress: settings.caAddress, rootCertFile: '/etc/trellis/root-cert.pem' });
    expect(annotations['sidecar.trellis.dev/ca-roots']).toBe(settings.caRootsPem);
  });

  it('keeps the pod\'s own init containers, volumes and annotations, after the proxy', () => {
    const { pod } = admit(appPod({ annotations: { 'prometheus.io/scrape': 'true' } }, {
      initContainers: [{ name: 'migrate' }], volumes: [{ name: 'data' }],
    }));
    expect(pod.spec.initContainers!.map((c) => c.name)).toEqual(['trellis-capture', 'trellis-proxy', 'migrate']);
    expect(pod.spec.volumes!.map((v) => v.name)).toEqual(['data', 'trellis-token', 'trellis-bootstrap']);
    expect(Object.keys(pod.metadata.annotations!)).toEqual(['prometheus.io/scrape', 'sidecar.trellis.dev/status', 'sidecar.trellis.dev/bootstrap', 'sidecar.trellis.dev/ca-roots']);
  });

  it('is idempotent: an injected pod admitted again is left as it is', () => {
    const once = admit(appPod()).pod;
    const twice = admit(once);
    expect(twice.reason).toBe('already injected');
    expect(twice.pod).toEqual(once);
  });

  it('honours the opt-out annotation, and skips host-network pods', () => {
    expect(admit(appPod({ annotations: { 'sidecar.trellis.dev/inject': 'false' } })).reason).toBe('opted out (sidecar.trellis.dev/inject: "false")');
    expect(admit(appPod({ labels: { 'sidecar.trellis.dev/inject': 'false' } })).reason).toBe('opted out (sidecar.trellis.dev/inject: "false")');
    expect(admit(appPod({}, { hostNetwork: true })).reason).toBe('hostNetwork pod');
  });

  it('injects by namespace label, or by the pod\'s own label or annotation outside labelled namespaces', () => {
    expect(admit(appPod(), {}).reason).toMatch(/^neither the namespace/);
    expect(admit(appPod(), IN_MESH).reason).toBeUndefined();
    expect(admit(appPod({ annotations: { 'sidecar.trellis.dev/inject': 'true' } }), {}).pod.spec.initContainers).toHaveLength(2);
    expect(admit(appPod({ labels: { 'sidecar.trellis.dev/inject': 'true' } }), {}).pod.spec.initContainers).toHaveLength(2);
    // A namespace switched off wins over a pod asking.
    expect(admit(appPod({ annotations: { 'sidecar.trellis.dev/inject': 'true' } }), { 'trellis-injection': 'disabled' }).reason).toBe('namespace labelled trellis-injection=disabled');
  });

  it('passes excluded ports and CIDRs to capture-init, and refuses a malformed one by name', () => {
    const { pod } = admit(appPod({ annotations: {
      'traffic.sidecar.trellis.dev/excludeInboundPorts': '8081, 9090',
      'traffic.sidecar.trellis.dev/excludeOutboundPorts': '5432',
      'traffic.sidecar.trellis.dev/excludeOutboundIPRanges': '10.0.0.0/8,169.254.169.254',
      'traffic.sidecar.trellis.dev/includeOutboundIPRanges': '10.96.0.0/12',
    } }));
    expect(pod.spec.initContainers![0].args!.slice(4)).toEqual([
      '--exclude-inbound-ports=8081,9090,15020', '--exclude-outbound-ports=5432', '--exclude-outbound-cidrs=10.0.0.0/8,169.254.169.254', '--include-outbound-cidrs=10.96.0.0/12',
    ]);
    expect(injectionPatch(appPod({ annotations: { 'traffic.sidecar.trellis.dev/excludeOutboundIPRanges': '10.0.0.0/33' } }) as AdmittedPod, IN_MESH, settings))
      .toEqual({ inject: false, refused: 'annotation traffic.sidecar.trellis.dev/excludeOutboundIPRanges: "10.0.0.0/33" is not an address or CIDR' });
  });
});

describe('the proxy\'s startup probe', () => {
  it('passes only once a real proxy is up and has applied a first config', async () => {
    const proxy = new Proxy({ adminPort: 0, accessLog: null });
    // Asynchronous: the proxy runs in this process and must answer while the probe waits.
    const probe = () => new Promise<number | null>((resolve) => spawn(process.execPath, ['-e', startupProbeScript(proxy.adminPort ?? 1)], { stdio: 'ignore' }).on('exit', resolve));
    try {
      expect(await probe()).toBe(1); // nothing listening yet
      await proxy.start();
      expect(await probe()).toBe(1); // up, but no config from the control plane
      await proxy.applyConfig({ listeners: [], routes: [], clusters: [], endpoints: [], secrets: [] });
      expect(await probe()).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});

describe('kubelet probes moved to the proxy\'s health port', () => {
  const web = (port = 8080): Container => ({
    name: 'web', ports: [{ name: 'http', containerPort: port }],
    livenessProbe: { httpGet: { path: '/healthz', port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'kubelet' }] }, periodSeconds: 5, timeoutSeconds: 2 },
    readinessProbe: { tcpSocket: { port: port }, initialDelaySeconds: 3 },
    startupProbe: { exec: { command: ['true'] } },
  });
  const probersOf = (pod: Pod) => JSON.parse(pod.spec.initContainers![1].env!.find((e) => e.name === 'TRELLIS_APP_PROBERS')!.value!) as Record<string, unknown>;

  it('rewrites httpGet and tcpSocket probes to /app-health/<container>/<probe> on 15020, keeping their timing, and records the originals', () => {
    const { pod } = admit(appPod({}, { containers: [web(), { name: 'rpc', livenessProbe: { grpc: { port: 9000 } } }] }));
    const [app, rpc] = pod.spec.containers;
    expect(app.livenessProbe).toEqual({ httpGet: { path: '/app-health/web/livez', port: 15020, scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 2 });
    expect(app.readinessProbe).toEqual({ httpGet: { path: '/app-health/web/readyz', port: 15020, scheme: 'HTTP' }, initialDelaySeconds: 3 });
    expect(app.startupProbe).toEqual({ exec: { command: ['true'] } });
    expect(rpc.livenessProbe).toEqual({ httpGet: { path: '/app-health/rpc/livez', port: 15020, scheme: 'HTTP' } });
    expect(probersOf(pod)).toEqual({
      '/app-health/web/livez': { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: 'kubelet' }] }, timeoutSeconds: 2 },
      '/app-health/web/readyz': { tcpSocket: { port: 8080 }, timeoutSeconds: 1 },
      '/app-health/rpc/livez': { grpc: { port: 9000, service: '' }, timeoutSeconds: 1 },
    });
    expect(pod.spec.initContainers![1].env).toContainEqual({ name: 'TRELLIS_APP_HEALTH_ADDRESS', value: '0.0.0.0:15020' });
    // Probed at the pod IP, where the kubelet probed.
    expect(pod.spec.initContainers![1].env).toContainEqual({ name: 'TRELLIS_APP_HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  });

  it('is idempotent: probes already on the health port are left alone, so a copied injected spec is not rewritten twice', () => {
    const once = admit(appPod({}, { containers: [web()] })).pod;
    const copy = appPod({}, { containers: once.spec.containers });
    const again = injectionPatch(copy as AdmittedPod, IN_MESH, settings);
    expect(again.inject && again.patch.filter((op) => /Probe$/.test(op.path))).toEqual([]);
  });

  it('leaves probes alone on opt-out, for probes naming another host, and without probes adds no env', () => {
    for (const annotation of ['sidecar.trellis.dev/rewriteAppHTTPProbers', 'sidecar.istio.io/rewriteAppHTTPProbers']) {
      const { pod } = admit(appPod({ annotations: { [annotation]: 'false' } }, { containers: [web()] }));
      expect(pod.spec.containers[0]).toEqual(web());
    }
    const remote = { name: 'web', livenessProbe: { httpGet: { host: 'health.example', path: '/', port: 80 } } };
    expect(admit(appPod({}, { containers: [remote] })).pod.spec.containers[0]).toEqual(remote);
    expect(admit(appPod()).pod.spec.initContainers![1].env!.map((e) => e.name)).toEqual(['POD_NAME', 'POD_NAMESPACE', 'SERVICE_ACCOUNT']);
  });

  it('refuses a probe on a named port the container does not declare, naming container and field', () => {
    const broken = { name: 'web', readinessProbe: { httpGet: { path: '/', port: 'metrics' } } };
    expect(injectionPatch(appPod({}, { containers: [broken] }) as AdmittedPod, IN_MESH, settings))
      .toEqual({ inject: false, refused: 'container web readinessProbe.httpGet.port: the container declares no port named "metrics"' });
  });

  it('end to end: the injected proxy environment, served by the sidecar\'s app-health server, probes a real app as the kubelet asked', async () => {
    let healthy = true;
    const app = http.createServer((request, response) => {
      response.writeHead(healthy && request.url === '/healthz' && request.headers['x-probe'] === 'kubelet' ? 200 : 500);
      response.end();
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.7.2', resolve));
    const { pod } = admit(appPod({}, { containers: [web((app.address() as AddressInfo).port)] }));
    // The kubelet resolves the downward-API variables: this "pod" has IP 127.0.7.2.
    const podIp = (fieldPath: string) => (fieldPath === 'status.podIP' ? '127.0.7.2' : 'other');
    const env = Object.fromEntries(pod.spec.initContainers![1].env!.map((e) => [e.name, e.value ?? podIp(e.valueFrom!.fieldRef.fieldPath)]));
    const options = appHealthFromEnvironment(env)!;
    expect(options).toMatchObject({ address: '0.0.0.0:15020', appHost: '127.0.7.2' });
    // On this shared machine: the same probes on an ephemeral loopback port.
    const health = new AppHealthServer({ ...options, address: '127.0.7.2:0' });
    const base = `http://${await health.start()}`;
    const kubelet = async (probe: 'livenessProbe' | 'readinessProbe') => (await fetch(base + (pod.spec.containers[0][probe]!.httpGet as { path: string }).path)).status;
    try {
      expect(await kubelet('livenessProbe')).toBe(200);
      expect(await kubelet('readinessProbe')).toBe(200);
      healthy = false;
      expect(await kubelet('livenessProbe')).toBe(503);
      app.closeAllConnections();
      await new Promise((resolve) => app.close(resolve));
      expect(await kubelet('readinessProbe')).toBe(503);
    } finally {
      await health.stop();
      if (app.listening) app.close();
    }
  });
});
