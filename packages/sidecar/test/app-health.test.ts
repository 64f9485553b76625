import * as grpc from '@grpc/grpc-js';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { AppHealthServer, appHealthFromEnvironment, parseAppProbers, type AppProbers } from '../src/app-health';

const HOST = '127.0.7.1';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, HOST, () => resolve((server.address() as AddressInfo).port)));
}

/** A real app: healthy at /healthz (when asked with the right header), failing at /broken, never answering at /hang. */
let app: http.Server;
let appPort: number;
/** A port nothing listens on any more. */
let closedPort: number;
/** A real gRPC app whose health service says SERVING for "" and NOT_SERVING for "db". */
let grpcApp: grpc.Server;
let grpcPort: number;
let health: AppHealthServer;
let healthUrl: string;
const seenHeaders: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  app = http.createServer((request, response) => {
    seenHeaders.push(request.headers);
    if (request.url === '/hang') return;
    const ok = request.url === '/healthz' && request.headers['x-probe'] === 'kubelet';
    response.writeHead(ok ? 200 : request.url === '/moved' ? 302 : 500, request.url === '/moved' ? { location: '/elsewhere' } : {});
    response.end();
  });
  appPort = await listen(app);
  const closed = net.createServer();
  closedPort = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));

  grpcApp = new grpc.Server();
  grpcApp.register('/grpc.health.v1.Health/Check', (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    const service = call.request.length ? call.request.subarray(2).toString() : '';
    callback(null, Buffer.from([0x08, service === '' ? 1 : 2]));
  }, (b: Buffer) => b, (b: Buffer) => b, 'unary');
  grpcPort = await new Promise<number>((resolve, reject) => grpcApp.bindAsync(`${HOST}:0`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));

  const probers: AppProbers = parseAppProbers(JSON.stringify({
    '/app-health/web/livez': { httpGet: { path: '/healthz', port: appPort, scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: 'kubelet' }] }, timeoutSeconds: 2 },
    '/app-health/web/readyz': { httpGet: { path: '/broken', port: appPort }, timeoutSeconds: 2 },
    '/app-health/web/startupz': { httpGet: { path: '/moved', port: appPort } },
    '/app-health/slow/livez': { httpGet: { path: '/hang', port: appPort }, timeoutSeconds: 0.3 },
    '/app-health/tcp/livez': { tcpSocket: { port: appPort } },
    '/app-health/tcp/readyz': { tcpSocket: { port: closedPort } },
    '/app-health/rpc/livez': { grpc: { port: grpcPort } },
    '/app-health/rpc/readyz': { grpc: { port: grpcPort, service: 'db' } },
  }));
  health = new AppHealthServer({ probers, address: `${HOST}:0`, appHost: HOST });
  healthUrl = `http://${await health.start()}`;
});

afterAll(async () => {
  await health.stop();
  app.closeAllConnections();
  await new Promise((resolve) => app.close(resolve));
  grpcApp.forceShutdown();
});

async function probe(path: string): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  const response = await fetch(healthUrl + path);
  return { status: response.status, body: await response.text(), ms: Date.now() - started };
}

describe('app-health server, probing a real app on its behalf', () => {
  test('an HTTP probe passes with 200 when the app answers 2xx, sending the original path and headers', async () => {
    expect(await probe('/app-health/web/livez')).toMatchObject({ status: 200, body: 'HTTP 200\n' });
    expect(seenHeaders.at(-1)?.['x-probe']).toBe('kubelet');
  });

  test('an app answering 500 fails the probe (503); a redirect counts as success, as for the kubelet', async () => {
    expect(await probe('/app-health/web/readyz')).toMatchObject({ status: 503, body: 'HTTP 500\n' });
    expect((await probe('/app-health/web/startupz')).status).toBe(200);
  });

  test('the original timeout is honoured: an app that never answers fails after it, not later', async () => {
    const result = await probe('/app-health/slow/livez');
    expect(result.status).toBe(503);
    expect(result.body).toMatch(/no answer within 300 ms/);
    expect(result.ms).toBeLessThan(2000);
  });

  test('a TCP probe passes when the port accepts and fails when it is closed', async () => {
    expect((await probe('/app-health/tcp/livez')).status).toBe(200);
    const closed = await probe('/app-health/tcp/readyz');
    expect(closed.status).toBe(503);
    expect(closed.body).toMatch(/ECONNREFUSED/);
  });

  test('a gRPC probe asks grpc.health.v1 and passes only on SERVING', async () => {
    expect(await probe('/app-health/rpc/livez')).toMatchObject({ status: 200, body: 'SERVING\n' });
    expect(await probe('/app-health/rpc/readyz')).toMatchObject({ status: 503, body: 'health status 2\n' });
  });

  test('a path with no recorded probe is 404', async () => {
    expect((await probe('/app-health/other/livez')).status).toBe(404);
  });
});

describe('the probes handed over by the injector', () => {
  test('bad input names the path and field', () => {
    expect(() => parseAppProbers('{"/app-health/a/livez": {"httpGet": {"port": "http"}}}')).toThrow('TRELLIS_APP_PROBERS /app-health/a/livez: httpGet.port must be a port number');
    expect(() => parseAppProbers('{"/x": {"tcpSocket": {"port": 1}}}')).toThrow('does not start with /app-health/');
    expect(() => parseAppProbers('{"/app-health/a/livez": {"exec": {}}}')).toThrow('has none of httpGet, tcpSocket, grpc');
    expect(() => parseAppProbers('[')).toThrow('TRELLIS_APP_PROBERS: not JSON');
  });

  test('read from the environment only when the injector set it', () => {
    expect(appHealthFromEnvironment({})).toBeUndefined();
    const options = appHealthFromEnvironment({ TRELLIS_APP_PROBERS: '{"/app-health/a/livez": {"tcpSocket": {"port": 8080}}}', TRELLIS_APP_HEALTH_ADDRESS: '0.0.0.0:15020', TRELLIS_APP_HOST: '10.0.0.7' });
    expect(options).toEqual({ address: '0.0.0.0:15020', appHost: '10.0.0.7', probers: { '/app-health/a/livez': { tcpSocket: { port: 8080 }, timeoutSeconds: 1 } } });
    expect(() => appHealthFromEnvironment({ TRELLIS_APP_PROBERS: '{}' })).toThrow('TRELLIS_APP_HEALTH_ADDRESS: "" is not a host:port');
    expect(() => appHealthFromEnvironment({ TRELLIS_APP_PROBERS: '{}', TRELLIS_APP_HEALTH_ADDRESS: '15020' })).toThrow('is not a host:port');
  });
});
