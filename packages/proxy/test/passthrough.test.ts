// The passthrough cluster (ORIGINAL_DST) on real sockets: a listener matched on the original
// destination hands what no chain names to its default chain, whose tcp_proxy connects to where
// the client was going, in plain TCP. Here each connection's original destination is given (what
// SO_ORIGINAL_DST says after an iptables redirect); test/e2e/netns-capture.test.ts has the real redirect.
import * as net from 'node:net';
import { Writable } from 'node:stream';
import { AccessLog, type AccessLogEntry } from '../src/admin/access-log';
import { Stats } from '../src/admin/stats';
import { ConfigStore } from '../src/config/store';
import type { Destination } from '../src/filter-chain-match';
import { FilterRegistry } from '../src/http/filter';
import { ListenerRuntime } from '../src/listener';
import { NetworkFilterRegistry } from '../src/network-filter';
import { Runtime } from '../src/runtime';
import { parseSnapshot } from '../src';

const PROXY_IP = '127.0.12.1';
const OUTSIDE_IP = '127.0.12.2';
/** Nothing listens on this address: connecting is refused at once. */
const NOBODY = { address: '127.0.12.3', port: 32112 };

/** A listener whose connections were all going to `destination` (the test's stand-in for SO_ORIGINAL_DST). */
class RedirectedListener extends ListenerRuntime {
  destination: Destination = NOBODY;

  override destinationOf(): Destination {
    return this.destination;
  }
}

function snapshot(meshPort: number, idleTimeoutMs = 2_000) {
  return {
    listeners: [{
      name: 'virtualOutbound', address: PROXY_IP, port: 0, useOriginalDst: true,
      // A mesh destination: its own chain, ahead of the passthrough whatever the port.
      filterChains: [{
        name: 'mesh', match: { destinationPort: meshPort, prefixRanges: [{ addressPrefix: OUTSIDE_IP, prefixLen: 32 }] }, network: { kind: 'tcp', cluster: 'mesh' },
      }],
      defaultFilterChain: { name: 'PassthroughFilterChain', network: { kind: 'tcp', cluster: 'PassthroughCluster', idleTimeoutMs } },
    }],
    clusters: [
      { name: 'PassthroughCluster', type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED', connectTimeoutMs: 1_000 },
      { name: 'mesh', type: 'STATIC', connectTimeoutMs: 1_000, loadAssignment: { clusterName: 'mesh', endpoints: [{ address: OUTSIDE_IP, port: meshPort }] } },
    ],
  };
}

/** A TCP app that answers `<name>:<what it read>` once the client has finished sending. */
async function app(name: string): Promise<net.Server & { port: number }> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d)).on('end', () => socket.end(`${name}:${Buffer.concat(chunks).toString()}`)).on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, OUTSIDE_IP, resolve));
  return Object.assign(server, { port: (server.address() as net.AddressInfo).port });
}

/** Send `payload`, half-close, and read until the proxy closes: what came back, or the error. */
function exchange(port: number, payload: string): Promise<{ data: string; error?: string }> {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect({ host: PROXY_IP, port }, () => socket.end(payload));
    socket.on('data', (d: Buffer) => (data += d));
    socket.on('error', (e) => resolve({ data, error: e.message }));
    socket.on('close', () => resolve({ data }));
  });
}

describe('the passthrough cluster (ORIGINAL_DST) behind a default filter chain', () => {
  const log: AccessLogEntry[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => { log.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l) as AccessLogEntry)); done(); } });
  const stats = new Stats();
  const store = new ConfigStore();
  const rt = new Runtime(store, stats, new AccessLog(sink), new FilterRegistry({ stats }), new NetworkFilterRegistry({ stats }));
  let outside: net.Server & { port: number };
  let mesh: net.Server & { port: number };
  let listener: RedirectedListener;

  const configure = (idleTimeoutMs?: number) => {
    store.apply(snapshot(mesh.port, idleTimeoutMs));
    rt.syncClusters();
    listener.update(store.current.snapshot.listeners[0]!);
  };

  beforeAll(async () => {
    [outside, mesh] = await Promise.all([app('outside'), app('mesh')]);
    store.apply(snapshot(mesh.port));
    rt.syncClusters();
    listener = new RedirectedListener(rt, store.current.snapshot.listeners[0]!);
    await listener.listen();
  });

  afterAll(async () => {
    listener.drain();
    listener.destroy();
    rt.clusters.close();
    await Promise.all([outside, mesh].map((s) => new Promise((resolve) => s.close(resolve))));
  });

  beforeEach(() => configure());

  const connections = (result: string) => stats.counter('tcp_connections_total', { listener: 'virtualOutbound', cluster: 'PassthroughCluster', result });
  const lastLine = async () => {
    await new Promise((r) => setImmediate(r));
    return log.at(-1);
  };

  it('connects to the original destination and carries the bytes unmodified, half-close included', async () => {
    listener.destination = { address: OUTSIDE_IP, port: outside.port };
    const connected = connections('connected');
    const payload = `plain \u00e9\u0000bytes ${'x'.repeat(70_000)}`;
    expect(await exchange(listener.port, payload)).toEqual({ data: `outside:${payload}` });
    expect(await lastLine()).toMatchObject({
      listener: 'virtualOutbound', protocol: 'tcp', upstreamCluster: 'PassthroughCluster', upstreamHost: `${OUTSIDE_IP}:${outside.port}`, responseFlags: '-',
    });
    expect(connections('connected')).toBe(connected + 1);
  });

  it('leaves mesh destinations to their own chains, and passes through the same address on another port', async () => {
    listener.destination = { address: OUTSIDE_IP, port: mesh.port };
    expect(await exchange(listener.port, 'hi')).toEqual({ data: 'mesh:hi' });
    expect(await lastLine()).toMatchObject({ upstreamCluster: 'mesh' });
    listener.destination = { address: OUTSIDE_IP, port: outside.port };
    expect(await exchange(listener.port, 'hi')).toEqual({ data: 'outside:hi' });
    // Another address on the mesh chain's port: the port narrows to that chain, the address matches
    // none of it, and only the default chain still takes the connection.
    listener.destination = { address: '127.0.12.4', port: mesh.port };
    await exchange(listener.port, 'hi');
    expect(await lastLine()).toMatchObject({ upstreamCluster: 'PassthroughCluster', upstreamHost: `127.0.12.4:${mesh.port}` });
  });

  it('closes the client and logs UF, naming the destination, when nothing answers there', async () => {
    listener.destination = NOBODY;
    const failures = connections('connect_failure');
    expect((await exchange(listener.port, 'hello')).data).toBe('');
    expect(await lastLine()).toMatchObject({ upstreamCluster: 'PassthroughCluster', upstreamHost: `${NOBODY.address}:${NOBODY.port}`, responseFlags: 'UF' });
    expect(connections('connect_failure')).toBe(failures + 1);
  });

  it('closes a passed-through connection idle longer than the tcp_proxy idle timeout', async () => {
    configure(150);
    listener.destination = { address: OUTSIDE_IP, port: outside.port };
    const started = Date.now();
    // The client never half-closes, so the app never answers: only the idle timeout ends it.
    const closed = await new Promise<number>((resolve) => {
      const socket = net.connect({ host: PROXY_IP, port: listener.port }, () => socket.write('waiting'));
      socket.on('error', () => undefined).on('close', () => resolve(Date.now() - started));
    });
    expect(closed).toBeGreaterThanOrEqual(140);
    expect(closed).toBeLessThan(1_500);
  });
});

describe('ORIGINAL_DST in the proxy config', () => {
  const cluster = (c: object) => () => parseSnapshot({ listeners: [], clusters: [{ name: 'c', connectTimeoutMs: 1_000, ...c }] });

  it('goes with CLUSTER_PROVIDED, and takes no endpoints, health checks or outlier detection', () => {
    expect(cluster({ type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED' })).not.toThrow();
    expect(cluster({ type: 'ORIGINAL_DST' })).toThrow(/clusters\[0\]\(c\)\.lbPolicy: CLUSTER_PROVIDED goes with an ORIGINAL_DST cluster, and only with it/);
    expect(cluster({ type: 'EDS', lbPolicy: 'CLUSTER_PROVIDED' })).toThrow(/lbPolicy: CLUSTER_PROVIDED goes with an ORIGINAL_DST cluster/);
    expect(cluster({ type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED', loadAssignment: { clusterName: 'c', endpoints: [] } }))
      .toThrow(/loadAssignment: an ORIGINAL_DST cluster takes no loadAssignment/);
  });
});
