/**
 * The control plane's capture-mode resources (translate/capture.ts) as our proxy reads them:
 * virtual listeners matched on the original destination, an mTLS cluster behind every chain, and
 * (ALLOW_ANY) a default chain passing the rest through to where it was going.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSource, sidecarSnapshot } from '@trellis/control-plane';
import { parseSnapshot, type Snapshot as ProxyConfig } from '@trellis/proxy';
import { Snapshot, TypeUrl } from '@trellis/xds';
import { PROXY_RESOURCE_TYPES } from '../src';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n';
const settings = { trustDomain: 'cluster.local', rootNamespace: 'trellis-system', defaultMtls: 'STRICT' as const, trustBundlePem: PEM, outboundTrafficPolicy: 'ALLOW_ANY' as const };

const workload = (name: string, address: string, ports: string) => `apiVersion: networking.trellis.dev/v1alpha1
kind: WorkloadEntry
metadata: { name: ${name}, namespace: shop, annotations: { sidecar.trellis.dev/capture: "true" } }
spec: { address: ${address}, serviceAccount: ${name}, labels: { app: ${name} }, ports: ${ports} }
`;
const MESH = [
  'apiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: shop }\nspec: { clusterIP: 10.96.0.10, selector: { app: web }, ports: [{ name: http, port: 80, targetPort: 8080 }] }\n',
  'apiVersion: v1\nkind: Service\nmetadata: { name: db, namespace: shop }\nspec: { selector: { app: db }, ports: [{ name: tcp-db, port: 5432 }] }\n',
  workload('web', '10.231.0.2', '{ http: 8080 }'),
  workload('db', '10.231.0.3', '{ tcp-db: 5432 }'),
  workload('client', '10.231.0.4', '{}'),
].join('---\n');

function loadModel() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-capture-'));
  try {
    fs.writeFileSync(path.join(dir, 'mesh.yaml'), MESH);
    return new FileSource(dir).load().model;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function proxyConfigOf(snapshot: Snapshot): ProxyConfig {
  const byType = (type: (typeof PROXY_RESOURCE_TYPES)[number]) => [...(snapshot.get(type.typeUrl)?.resources.values() ?? [])].map((r) => type.decode(r.any).value);
  const [secrets, clusters, endpoints, listeners, routes] = PROXY_RESOURCE_TYPES.map(byType);
  return parseSnapshot({
    listeners, routes, endpoints, clusters: clusters!.map((c) => (c as { config: unknown }).config),
    secrets: [...secrets!, { name: 'default', tlsCertificate: { certChainPem: PEM, privateKeyPem: KEY } }],
  });
}

describe('capture mode, from the control plane to the proxy', () => {
  const model = loadModel();
  const snapshotOf = (name: string, outboundTrafficPolicy: 'ALLOW_ANY' | 'REGISTRY_ONLY' = 'ALLOW_ANY') =>
    sidecarSnapshot(model, model.workloads.find((w) => w.name === name)!, { ...settings, outboundTrafficPolicy });

  it('a client gets a virtual outbound listener: a chain per cluster IP and per endpoint, each to an mTLS cluster', () => {
    const snapshot = snapshotOf('client');
    expect(snapshot.consistencyErrors()).toEqual([]);
    const config = proxyConfigOf(snapshot);
    expect(config.listeners.map((l) => `${l.name}@${l.address}:${l.port} ${l.useOriginalDst}`)).toEqual(['virtualOutbound@0.0.0.0:15001 true']);
    const chains = config.listeners[0]!.filterChains.slice(0, -1);
    const target = (c: (typeof chains)[number]) => (c.network.kind === 'tcp' ? c.network.cluster : c.network.routeConfig?.virtualHosts[0]?.routes[0]?.route?.cluster);
    expect(chains.map((c) => [c.match.prefixRanges, c.match.destinationPort, c.network.kind, target(c)])).toEqual([
      [[{ addressPrefix: '10.96.0.10', prefixLen: 32 }], 80, 'http', 'outbound|80||web.shop.svc.cluster.local'],
      [[{ addressPrefix: '10.231.0.2', prefixLen: 32 }], 8080, 'http', 'outbound|8080|10.231.0.2|web.shop.svc.cluster.local'],
      [[{ addressPrefix: '10.231.0.3', prefixLen: 32 }], 5432, 'tcp', 'outbound|5432|10.231.0.3|db.shop.svc.cluster.local'],
    ]);
    for (const chain of chains) {
      const cluster = config.clusters.find((c) => c.name === target(chain))!;
      expect(cluster.tls?.matchSubjectAltNames.length).toBeGreaterThan(0);
    }
    // A call to one endpoint reaches that endpoint, proven to be the workload it is.
    const db = config.clusters.find((c) => c.name === 'outbound|5432|10.231.0.3|db.shop.svc.cluster.local')!;
    expect(db.loadAssignment?.endpoints.map((e) => `${e.address}:${e.port}`)).toEqual(['10.231.0.3:5432']);
    expect(db.tls?.matchSubjectAltNames).toEqual(['spiffe://cluster.local/ns/shop/sa/db']);
  });

  it('a server gets a virtual inbound listener: its inbound chains, keyed by destination port', () => {
    const config = proxyConfigOf(snapshotOf('web'));
    expect(config.listeners.map((l) => l.name)).toEqual(['virtualOutbound', 'virtualInbound']);
    const inbound = config.listeners.find((l) => l.name === 'virtualInbound')!;
    expect(inbound.filterChains.map((c) => [c.name, c.match])).toEqual([['8080_mtls', { transportProtocol: 'tls', destinationPort: 8080 }]]);
    const chain = inbound.filterChains[0]!;
    expect(chain.tls?.requireClientCert).toBe(true);
    expect(chain.network.kind === 'http' && chain.network.forwardClientCertDetails).toBe(true);
    expect(config.clusters.find((c) => c.name === 'inbound|8080')?.loadAssignment?.endpoints[0]).toMatchObject({ address: '127.0.0.1', port: 8080 });
  });

  it('keeps the explicit outbound port (routing by Host) for apps that dial their proxy by name', () => {
    const snapshot = snapshotOf('client');
    const explicit = proxyConfigOf(snapshot).listeners[0]!.filterChains.at(-1)!;
    expect([explicit.name, explicit.match, explicit.network.kind === 'http' && explicit.network.routeConfigName]).toEqual(['explicit', { destinationPort: 15001 }, 'outbound|http']);
    expect([...snapshot.get(TypeUrl.RouteConfiguration)!.resources.keys()]).toEqual(['outbound|http']);
  });

  it('ALLOW_ANY: what no chain names goes through a default chain to the ORIGINAL_DST passthrough cluster, in plain TCP', () => {
    const config = proxyConfigOf(snapshotOf('client'));
    const outbound = config.listeners[0]!;
    expect(outbound.defaultFilterChain).toMatchObject({ name: 'PassthroughFilterChain', network: { kind: 'tcp', cluster: 'PassthroughCluster' } });
    expect(outbound.defaultFilterChain?.tls).toBeUndefined();
    const passthrough = config.clusters.find((c) => c.name === 'PassthroughCluster');
    expect(passthrough).toMatchObject({ type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED', connectTimeoutMs: 10_000 });
    expect(passthrough?.tls).toBeUndefined();
  });

  it('REGISTRY_ONLY: no default chain and no passthrough cluster, so the proxy refuses what no chain names', () => {
    const snapshot = snapshotOf('client', 'REGISTRY_ONLY');
    const config = proxyConfigOf(snapshot);
    expect(config.listeners[0]!.defaultFilterChain).toBeUndefined();
    expect(config.clusters.map((c) => c.name)).not.toContain('PassthroughCluster');
    // The mesh's own chains are the same in both modes: they match first either way.
    expect(config.listeners[0]!.filterChains).toEqual(proxyConfigOf(snapshotOf('client')).listeners[0]!.filterChains);
  });
});
