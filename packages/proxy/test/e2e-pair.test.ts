// End to end with real processes: app A → proxy A (outbound) → tap → mTLS → proxy B
// (inbound) → app B, for HTTP/1.1, gRPC (HTTP/2) and raw TCP. The tap records every
// byte between the proxies to prove nothing crosses in plaintext.
import * as grpc from '@grpc/grpc-js';
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { Ca, issueSvid, makeCa, Svid } from './helpers/pki';
import { ID_A, ID_B, inboundSnapshot, outboundSnapshot, SERVICE_B } from './helpers/mesh';
import { close, echoApp, listen, request, Tap, tapRelay, tlsRecordTypes } from './helpers/net';
import { ProxyProcess, startProxy } from './helpers/process';

jest.setTimeout(30_000);

let ca: Ca;
let svidA: Svid;
let svidB: Svid;
const cleanups: Array<() => Promise<unknown> | void> = [];

beforeAll(() => {
  ca = makeCa();
  svidA = issueSvid(ca, ID_A);
  svidB = issueSvid(ca, ID_B);
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Proxy B (inbound, in front of `appPort`), a tap, and proxy A whose cluster points at the tap. */
async function pair(appPort: number, opts: { tcp?: boolean } = {}): Promise<{ a: ProxyProcess; b: ProxyProcess; tap: Tap }> {
  const b = await startProxy(inboundSnapshot({ svid: svidB, ca, appPort, allowed: [ID_A], tcp: opts.tcp }));
  const tap = await tapRelay(b.ports.inbound);
  const a = await startProxy(outboundSnapshot({ svid: svidA, ca, upstreamPorts: [tap.port], tcp: opts.tcp }));
  cleanups.push(() => a.stop(), () => b.stop(), () => tap.close());
  return { a, b, tap };
}

function assertOnlyTls(tap: Tap, secrets: string[]): void {
  for (const [dir, chunks] of [['A→B', tap.toServer], ['B→A', tap.toClient]] as const) {
    const stream = Buffer.concat(chunks);
    expect(stream.length).toBeGreaterThan(0);
    for (const s of secrets) expect({ dir, leaked: stream.includes(Buffer.from(s)) }).toEqual({ dir, leaked: false });
    const types = tlsRecordTypes(stream); // throws if any byte is outside a TLS record
    expect(types[0]).toBe(22); // handshake first
    expect(types).toContain(23); // then encrypted application data
  }
}

test('HTTP/1.1: app A → A → mTLS → B → app B, caller identity forwarded, nothing in plaintext', async () => {
  const app = echoApp('b');
  const appPort = await listen(app);
  cleanups.push(() => close(app));
  const { a, tap } = await pair(appPort);
  const agent = new http.Agent({ keepAlive: true });
  const secret = 'top-secret-payload-7f3a';
  for (let i = 0; i < 5; i++) {
    const res = await request(a.ports.outbound, { method: 'POST', path: `/orders/${i}`, headers: { host: SERVICE_B, 'x-secret': secret }, body: secret, agent });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ app: 'b', url: `/orders/${i}`, body: secret, xfcc: `URI=${ID_A}` });
  }
  agent.destroy();
  assertOnlyTls(tap, [secret, '/orders/', 'x-secret', 'HTTP/1.1']);
  expect(tap.toServer.length).toBeGreaterThan(0);
});

const echoService = {
  say: {
    path: '/trellis.test.Echo/Say',
    requestStream: false,
    responseStream: false,
    requestSerialize: (v: object) => Buffer.from(JSON.stringify(v)),
    requestDeserialize: (b: Buffer) => JSON.parse(b.toString()),
    responseSerialize: (v: object) => Buffer.from(JSON.stringify(v)),
    responseDeserialize: (b: Buffer) => JSON.parse(b.toString()),
  },
  count: {
    path: '/trellis.test.Echo/Count',
    requestStream: false,
    responseStream: true,
    requestSerialize: (v: object) => Buffer.from(JSON.stringify(v)),
    requestDeserialize: (b: Buffer) => JSON.parse(b.toString()),
    responseSerialize: (v: object) => Buffer.from(JSON.stringify(v)),
    responseDeserialize: (b: Buffer) => JSON.parse(b.toString()),
  },
};

test('gRPC over HTTP/2: unary and server streaming with trailers, one shared mTLS connection', async () => {
  const server = new grpc.Server();
  server.addService(echoService as unknown as grpc.ServiceDefinition, {
    say: (call: grpc.ServerUnaryCall<{ text: string }, object>, cb: grpc.sendUnaryData<object>) => {
      const md = call.metadata.get('x-forwarded-client-cert');
      cb(null, { text: call.request.text, peer: md[0]?.toString() ?? null });
    },
    count: (call: grpc.ServerWritableStream<{ n: number }, object>) => {
      for (let i = 0; i < call.request.n; i++) call.write({ i });
      const trailer = new grpc.Metadata();
      trailer.set('x-total', String(call.request.n));
      call.end(trailer);
    },
  });
  const appPort = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
  cleanups.push(() => server.forceShutdown());
  const { a, tap } = await pair(appPort);
  const Client = grpc.makeGenericClientConstructor(echoService as unknown as grpc.ServiceDefinition, 'Echo');
  const client = new Client(`127.0.0.1:${a.ports.outbound}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': SERVICE_B }) as unknown as {
    say(req: object, cb: (e: grpc.ServiceError | null, r: { text: string; peer: string }) => void): void;
    count(req: object): grpc.ClientReadableStream<{ i: number }>;
    close(): void;
  };
  const unary = (text: string): Promise<{ text: string; peer: string }> =>
    new Promise((res, rej) => client.say({ text }, (e, r) => (e ? rej(e) : res(r))));
  const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => unary(`grpc-secret-${i}`)));
  replies.forEach((r, i) => expect(r).toEqual({ text: `grpc-secret-${i}`, peer: `URI=${ID_A}` }));

  const stream = client.count({ n: 50 });
  const got: number[] = [];
  const trailers = await new Promise<grpc.Metadata>((res, rej) => {
    stream.on('data', (m: { i: number }) => got.push(m.i));
    stream.on('status', (s: grpc.StatusObject) => (s.code === grpc.status.OK ? res(s.metadata) : rej(new Error(s.details))));
    stream.on('error', rej);
  });
  expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
  expect(trailers.get('x-total')).toEqual(['50']);
  client.close();
  assertOnlyTls(tap, ['grpc-secret-', 'trellis.test.Echo']);
  // 20 concurrent calls and a stream shared a single proxy-to-proxy connection (HTTP/2 multiplexing).
  const handshakes = tlsRecordTypes(Buffer.concat(tap.toServer)).filter((t) => t === 22).length;
  expect(handshakes).toBeLessThanOrEqual(2);
});

test('raw TCP: bytes both ways over mTLS, half-close propagates', async () => {
  // The app answers only after the client half-closes, so the reply proves FIN crossed both proxies.
  const app = net.createServer({ allowHalfOpen: true }, (s) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => s.end(Buffer.concat(chunks).toString().split('').reverse().join('')));
  });
  const appPort = await listen(app);
  cleanups.push(() => close(app));
  const { a, tap } = await pair(appPort, { tcp: true });
  const reply = await new Promise<string>((resolve, reject) => {
    const s = net.connect({ port: a.ports.outbound, host: '127.0.0.1', allowHalfOpen: true });
    let out = '';
    s.on('data', (d) => (out += d));
    s.on('end', () => {
      s.end();
      resolve(out);
    });
    s.on('error', reject);
    s.end('opaque-secret-bytes');
  });
  expect(reply).toBe('setyb-terces-euqapo');
  assertOnlyTls(tap, ['opaque-secret-bytes', 'setyb-terces-euqapo']);
});

describe('refused peers', () => {
  let b: ProxyProcess;

  beforeAll(async () => {
    const app = echoApp('b');
    const appPort = await listen(app);
    cleanups.push(() => close(app));
    b = await startProxy(inboundSnapshot({ svid: svidB, ca, appPort, allowed: [ID_A] }));
    cleanups.push(() => b.stop());
  });

  /** Try an mTLS request straight at proxy B with the given client identity. */
  function callB(client: Svid, trusted: string): Promise<string> {
    return new Promise((resolve) => {
      const s = tls.connect({ port: b.ports.inbound, host: '127.0.0.1', cert: client.certPem, key: client.keyPem, ca: trusted, checkServerIdentity: () => undefined });
      let out = '';
      s.on('secureConnect', () => s.write(`GET / HTTP/1.1\r\nhost: ${SERVICE_B}\r\nconnection: close\r\n\r\n`));
      s.on('data', (d) => (out += d));
      s.on('error', (e) => resolve(`error: ${e.message}`));
      s.on('close', () => resolve(out || 'closed without a response'));
    });
  }

  test('the allowed identity gets through (control)', async () => {
    expect(await callB(svidA, ca.certPem)).toMatch(/^HTTP\/1.1 200/);
  });

  test('a certificate from another CA is refused in the handshake', async () => {
    const foreign = makeCa('foreign-ca');
    const mallory = issueSvid(foreign, ID_A); // right name, wrong issuer
    const r = await callB(mallory, ca.certPem);
    expect(r).not.toMatch(/HTTP\/1.1 200/);
  });

  test('a valid mesh certificate with a SPIFFE ID not on the allow list is refused', async () => {
    const evil = issueSvid(ca, 'spiffe://cluster.local/ns/default/sa/evil');
    expect(await callB(evil, ca.certPem)).not.toMatch(/HTTP\/1.1 200/);
  });

  test('no client certificate at all is refused', async () => {
    const r = await new Promise<string>((resolve) => {
      const s = tls.connect({ port: b.ports.inbound, host: '127.0.0.1', ca: ca.certPem, checkServerIdentity: () => undefined });
      let out = '';
      s.on('secureConnect', () => s.write(`GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`));
      s.on('data', (d) => (out += d));
      s.on('error', (e) => resolve(`error: ${e.message}`));
      s.on('close', () => resolve(out || 'closed'));
    });
    expect(r).not.toMatch(/HTTP\/1.1 200/);
  });

  test('secure naming: proxy A refuses a server that is not the expected identity (503 UF)', async () => {
    const imposter = issueSvid(ca, 'spiffe://cluster.local/ns/default/sa/imposter');
    const app = echoApp('imposter');
    const appPort = await listen(app);
    cleanups.push(() => close(app));
    const fake = await startProxy(inboundSnapshot({ svid: imposter, ca, appPort, allowed: [] }));
    cleanups.push(() => fake.stop());
    const a = await startProxy(outboundSnapshot({ svid: svidA, ca, upstreamPorts: [fake.ports.inbound] }));
    cleanups.push(() => a.stop());
    const res = await request(a.ports.outbound, { path: '/', headers: { host: SERVICE_B } });
    expect(res.status).toBe(503);
    expect(res.headers['x-trellis-response-flags']).toBe('UF');
    expect(res.body).toMatch(/secure naming/);
  });
});

test('PERMISSIVE inbound: mTLS and plaintext on the same port; plaintext callers have no identity', async () => {
  const app = echoApp('b');
  const appPort = await listen(app);
  cleanups.push(() => close(app));
  const b = await startProxy(inboundSnapshot({ svid: svidB, ca, appPort, permissive: true }), { accessLog: true });
  const a = await startProxy(outboundSnapshot({ svid: svidA, ca, upstreamPorts: [b.ports.inbound] }));
  cleanups.push(() => a.stop(), () => b.stop());
  const viaMesh = await request(a.ports.outbound, { path: '/m', headers: { host: SERVICE_B, 'x-request-id': 'mesh-1' } });
  expect(JSON.parse(viaMesh.body).xfcc).toBe(`URI=${ID_A}`);
  // A caller outside the mesh, straight at B's port in plaintext; a forged XFCC is dropped.
  const plain = await request(b.ports.inbound, { path: '/p', headers: { host: SERVICE_B, 'x-forwarded-client-cert': `URI=${ID_A}`, 'x-request-id': 'plain-1' } });
  expect(plain.status).toBe(200);
  expect(JSON.parse(plain.body).xfcc).toBeNull();
  // One JSON access-log line per request on stdout.
  await new Promise((r) => setTimeout(r, 100));
  const lines = b.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
  const mesh = lines.find((l) => l.requestId === 'mesh-1');
  const outside = lines.find((l) => l.requestId === 'plain-1');
  expect(mesh).toMatchObject({ method: 'GET', authority: SERVICE_B, path: '/m', status: 200, peerIdentity: ID_A, route: 'app', upstreamCluster: 'inbound|app', responseFlags: '-' });
  expect(typeof mesh?.durationMs).toBe('number');
  expect(outside).toMatchObject({ path: '/p', status: 200 });
  expect(outside?.peerIdentity).toBeUndefined();
});

test('SIGHUP reloads the config file: a rotated certificate is served to new connections', async () => {
  const app = echoApp('b');
  const appPort = await listen(app);
  cleanups.push(() => close(app));
  const b = await startProxy(inboundSnapshot({ svid: svidB, ca, appPort, allowed: [ID_A] }));
  cleanups.push(() => b.stop());
  const rotated = issueSvid(ca, ID_B);
  const fixedPort = inboundSnapshot({ svid: rotated, ca, appPort, allowed: [ID_A], port: b.ports.inbound });
  expect(await b.reload(fixedPort)).toBe('reloaded');
  const serial = await new Promise<string>((resolve, reject) => {
    const s = tls.connect({ port: b.ports.inbound, host: '127.0.0.1', cert: svidA.certPem, key: svidA.keyPem, ca: ca.certPem, checkServerIdentity: () => undefined }, () => {
      resolve(s.getPeerX509Certificate()?.serialNumber ?? '');
      s.destroy();
    });
    s.on('error', reject);
  });
  expect(serial).toBe(new X509Certificate(rotated.certPem).serialNumber);
  expect(await b.reload({ listeners: 'broken' })).toMatch(/snapshot.listeners: expected an array/);
});
