// Config changes under load: a steady stream of keep-alive requests through the mTLS
// pair while routes, endpoints and certificates change. Every request must succeed.
import * as http from 'node:http';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { Proxy } from '../src';
import { Ca, issueSvid, makeCa, Svid } from './helpers/pki';
import { ID_A, ID_B, inboundSnapshot, outboundSnapshot, SERVICE_B } from './helpers/mesh';
import { close, echoApp, listen } from './helpers/net';

jest.setTimeout(30_000);

let ca: Ca;
let svidA: Svid;
let svidB: Svid;
const running: Array<() => Promise<unknown>> = [];

beforeAll(() => {
  ca = makeCa();
  svidA = issueSvid(ca, ID_A);
  svidB = issueSvid(ca, ID_B);
});

afterAll(async () => {
  for (const stop of running.reverse()) await stop();
});

/** App `name` behind its own inbound proxy; returns the proxy (its inbound port is the endpoint). */
async function backend(name: string, svid = svidB): Promise<Proxy> {
  const app = echoApp(name);
  const appPort = await listen(app);
  const proxy = new Proxy({ accessLog: null });
  await proxy.applyConfig(inboundSnapshot({ svid, ca, appPort, allowed: [ID_A] }));
  await proxy.start();
  running.push(() => close(app), () => proxy.close());
  return proxy;
}

interface Load {
  byApp: Map<string, number>;
  failures: string[];
  total: number;
  stop(): Promise<void>;
  /** End the current phase: returns its per-app counts and starts counting a new one. */
  phase(): Map<string, number>;
}

/** `workers` concurrent keep-alive request loops against proxy A. */
function load(port: number, workers = 8): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  let stopped = false;
  const state: Load = {
    byApp: new Map(),
    failures: [],
    total: 0,
    phase: () => {
      const finished = state.byApp;
      state.byApp = new Map();
      return finished;
    },
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
    },
  };
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      // A request that straddles a phase change counts for failures but not for routing.
      const phase = state.byApp;
      const req = http.request({ host: '127.0.0.1', port, path: '/load', headers: { host: SERVICE_B }, agent }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          state.total++;
          if (res.statusCode === 200) {
            const app = (JSON.parse(body) as { app: string }).app;
            if (phase === state.byApp) phase.set(app, (phase.get(app) ?? 0) + 1);
          } else {
            state.failures.push(`${res.statusCode} ${res.headers['x-trellis-response-flags'] ?? ''} ${body}`);
          }
          resolve();
        });
      });
      req.on('error', (e) => {
        state.total++;
        state.failures.push(`error ${e.message}`);
        resolve();
      });
      req.end();
    });
  const loops = Array.from({ length: workers }, async () => {
    while (!stopped) await one();
  });
  return state;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function weighted(v1Port: number, v2Port: number, w1: number, w2: number): Record<string, unknown> {
  const base = outboundSnapshot({ svid: svidA, ca, upstreamPorts: [] });
  const tlsCfg = { certificateSecret: 'default', validationSecret: 'ROOTCA', matchSubjectAltNames: [ID_B] };
  return {
    ...base,
    routes: [{
      name: 'outbound',
      virtualHosts: [{ name: 'b', domains: [SERVICE_B], routes: [{ name: 'split', match: { prefix: '/' }, route: { weightedClusters: [{ name: 'v1', weight: w1 }, { name: 'v2', weight: w2 }] } }] }],
    }],
    clusters: [{ name: 'v1', tls: tlsCfg }, { name: 'v2', tls: tlsCfg }],
    endpoints: [
      { clusterName: 'v1', endpoints: [{ address: '127.0.0.1', port: v1Port }] },
      { clusterName: 'v2', endpoints: [{ address: '127.0.0.1', port: v2Port }] },
    ],
  };
}

test('weighted route shift 100/0 → 0/100 → 50/50 under load: zero failed requests', async () => {
  const v1 = await backend('v1');
  const v2 = await backend('v2');
  const p1 = v1.listenerPort('inbound');
  const p2 = v2.listenerPort('inbound');
  const a = new Proxy({ accessLog: null });
  await a.applyConfig(weighted(p1, p2, 100, 0));
  await a.start();
  running.push(() => a.close());
  const l = load(a.listenerPort('outbound'));
  await sleep(400);
  const before = l.phase();
  await a.applyConfig(weighted(p1, p2, 0, 100));
  await sleep(400);
  const after = l.phase();
  await a.applyConfig(weighted(p1, p2, 50, 50));
  await sleep(600);
  const split = l.phase();
  await l.stop();
  console.log(`weighted shift: ${l.total} requests, ${l.failures.length} failed; v1-only phase ${JSON.stringify([...before])}, v2-only phase ${JSON.stringify([...after])}, 50/50 phase ${JSON.stringify([...split])}`);
  expect(l.failures).toEqual([]);
  expect(before.get('v2') ?? 0).toBe(0);
  expect(after.get('v1') ?? 0).toBe(0);
  expect(split.get('v1')).toBeGreaterThan(0);
  expect(split.get('v2')).toBeGreaterThan(0);
});

test('endpoint removal and re-adding under load: zero failed requests', async () => {
  const b1 = await backend('b1');
  const b2 = await backend('b2');
  const ports = [b1.listenerPort('inbound'), b2.listenerPort('inbound')];
  const a = new Proxy({ accessLog: null });
  await a.applyConfig(outboundSnapshot({ svid: svidA, ca, upstreamPorts: ports }));
  await a.start();
  running.push(() => a.close());
  const l = load(a.listenerPort('outbound'));
  await sleep(400);
  const both = l.phase();
  await a.applyConfig(outboundSnapshot({ svid: svidA, ca, upstreamPorts: [ports[0]] }));
  await sleep(400);
  const onlyB1 = l.phase();
  await a.applyConfig(outboundSnapshot({ svid: svidA, ca, upstreamPorts: ports }));
  await sleep(400);
  const again = l.phase();
  await l.stop();
  console.log(`endpoint removal: ${l.total} requests, ${l.failures.length} failed; both ${JSON.stringify([...both])}, after removal ${JSON.stringify([...onlyB1])}, re-added ${JSON.stringify([...again])}`);
  expect(l.failures).toEqual([]);
  expect(both.get('b2')).toBeGreaterThan(0);
  expect(onlyB1.get('b2') ?? 0).toBe(0);
  expect(again.get('b2')).toBeGreaterThan(0);
});

function servedCertificate(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', cert: svidA.certPem, key: svidA.keyPem, ca: ca.certPem, checkServerIdentity: () => undefined }, () => {
      resolve(s.getPeerX509Certificate()?.serialNumber ?? '');
      s.destroy();
    });
    s.on('error', reject);
  });
}

test('certificate rotation on both proxies under load: zero failed requests, new handshakes use the new cert', async () => {
  const app = echoApp('b');
  const appPort = await listen(app);
  const b = new Proxy({ accessLog: null });
  await b.applyConfig(inboundSnapshot({ svid: svidB, ca, appPort, allowed: [ID_A] }));
  await b.start();
  const a = new Proxy({ accessLog: null });
  await a.applyConfig(outboundSnapshot({ svid: svidA, ca, upstreamPorts: [b.listenerPort('inbound')] }));
  await a.start();
  running.push(() => close(app), () => b.close(), () => a.close());
  const oldSerial = new X509Certificate(svidB.certPem).serialNumber;
  expect(await servedCertificate(b.listenerPort('inbound'))).toBe(oldSerial);

  const l = load(a.listenerPort('outbound'));
  await sleep(300);
  const newA = issueSvid(ca, ID_A);
  const newB = issueSvid(ca, ID_B);
  // Listener ports stay 0 in the config: same listener, only its secrets change.
  await b.applyConfig(inboundSnapshot({ svid: newB, ca, appPort, allowed: [ID_A] }));
  await a.applyConfig(outboundSnapshot({ svid: newA, ca, upstreamPorts: [b.listenerPort('inbound')] }));
  await sleep(400);
  await l.stop();
  console.log(`cert rotation: ${l.total} requests, ${l.failures.length} failed`);
  expect(l.failures).toEqual([]);
  expect(l.total).toBeGreaterThan(50);
  expect(await servedCertificate(b.listenerPort('inbound'))).toBe(new X509Certificate(newB.certPem).serialNumber);
});
