// Proxy pair in this process (real sockets, real TLS): quick coverage of the data path.
import * as http from 'node:http';
import { Proxy } from '../src';
import { makeCa, issueSvid, Ca, Svid } from './helpers/pki';
import { ID_A, ID_B, SERVICE_B, inboundSnapshot, outboundSnapshot } from './helpers/mesh';
import { close, echoApp, listen, request } from './helpers/net';

let ca: Ca;
let svidA: Svid;
let svidB: Svid;
let app: http.Server;
let appPort: number;
let proxyA: Proxy;
let proxyB: Proxy;
let portA: number;
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

beforeAll(async () => {
  ca = makeCa();
  svidA = issueSvid(ca, ID_A);
  svidB = issueSvid(ca, ID_B);
  app = echoApp('b');
  appPort = await listen(app);
  proxyB = new Proxy({ accessLog: null });
  await proxyB.applyConfig(inboundSnapshot({ svid: svidB, ca, appPort, allowed: [ID_A] }));
  await proxyB.start();
  proxyA = new Proxy({ accessLog: null });
  await proxyA.applyConfig(outboundSnapshot({ svid: svidA, ca, upstreamPorts: [proxyB.listenerPort('inbound')] }));
  await proxyA.start();
  portA = proxyA.listenerPort('outbound');
});

afterAll(async () => {
  agent.destroy();
  await proxyA.close();
  await proxyB.close();
  await close(app);
});

test('HTTP/1.1 request crosses the mTLS pair and app B sees caller A identity', async () => {
  const res = await request(portA, { path: '/hello?x=1', headers: { host: SERVICE_B }, agent });
  expect(res.status).toBe(200);
  const body = JSON.parse(res.body);
  expect(body).toMatchObject({ app: 'b', url: '/hello?x=1', xfcc: `URI=${ID_A}` });
});

test('POST bodies (content-length and chunked) arrive intact', async () => {
  const big = 'x'.repeat(200_000);
  const a = await request(portA, { method: 'POST', path: '/p', headers: { host: SERVICE_B }, body: big, agent });
  expect(JSON.parse(a.body).body.length).toBe(big.length);
  const b = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: portA, method: 'POST', path: '/c', headers: { host: SERVICE_B }, agent }, (res) => {
      let s = '';
      res.on('data', (d) => (s += d));
      res.on('end', () => resolve(s));
    });
    req.on('error', reject);
    req.write('part1-');
    setTimeout(() => req.end('part2'), 20);
  });
  expect(JSON.parse(b).body).toBe('part1-part2');
});

test('unknown host gets 404 with NR flag', async () => {
  const res = await request(portA, { path: '/', headers: { host: 'nope.example' }, agent });
  expect(res.status).toBe(404);
  expect(res.headers['x-trellis-response-flags']).toBe('NR');
});
