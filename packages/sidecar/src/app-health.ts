import * as grpc from '@grpc/grpc-js';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';

/**
 * The app's own liveness/readiness/startup probes, which the injector moved off the app's
 * ports (captured, and refused in plaintext under STRICT mTLS) onto this process's health
 * port, keyed by the path the kubelet now asks: `/app-health/<container>/<livez|readyz|startupz>`.
 */
export const APP_HEALTH_PATH_PREFIX = '/app-health/';
/** Where the injector hands the original probes (JSON of AppProbers) and the port to serve them on. */
export const APP_PROBERS_ENV = 'TRELLIS_APP_PROBERS';
export const APP_HEALTH_ADDRESS_ENV = 'TRELLIS_APP_HEALTH_ADDRESS';
/** The pod IP: the kubelet probed it, and an app may listen on it only. */
export const APP_HOST_ENV = 'TRELLIS_APP_HOST';

export type AppProbe =
  | { httpGet: { path: string; port: number; scheme: 'HTTP' | 'HTTPS'; httpHeaders: { name: string; value: string }[] }; timeoutSeconds: number }
  | { tcpSocket: { port: number }; timeoutSeconds: number }
  | { grpc: { port: number; service: string }; timeoutSeconds: number };

/** Original probes by the path the kubelet now asks. */
export type AppProbers = Record<string, AppProbe>;

export interface AppHealthOptions {
  probers: AppProbers;
  /** Where the kubelet reaches it: in a pod 0.0.0.0:15020 (excluded from inbound capture); port 0 picks a free one. */
  address: string;
  /** Where the app is probed: in a pod its IP, as the kubelet did (our UID's traffic is not captured). Default 127.0.0.1. */
  appHost?: string;
}

/** Decodes the injector's JSON once, naming the path and field that is wrong. */
export function parseAppProbers(json: string, source = APP_PROBERS_ENV): AppProbers {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new Error(`${source}: not JSON (${(error as Error).message})`);
  }
  if (!isObject(raw)) throw new Error(`${source}: expected an object of probes by path`);
  const probers: AppProbers = {};
  for (const [path, probe] of Object.entries(raw)) {
    const where = (field: string) => `${source} ${path}: ${field}`;
    if (!path.startsWith(APP_HEALTH_PATH_PREFIX)) throw new Error(`${where('(path)')} does not start with ${APP_HEALTH_PATH_PREFIX}`);
    if (!isObject(probe)) throw new Error(`${where('(probe)')} is not an object`);
    const timeoutSeconds = probe['timeoutSeconds'] === undefined ? 1 : probe['timeoutSeconds'];
    if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds > 0)) throw new Error(`${where('timeoutSeconds')} must be a positive number`);
    const port = (handler: Record<string, unknown>, name: string) => {
      const value = handler['port'];
      if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) throw new Error(`${where(`${name}.port`)} must be a port number`);
      return value as number;
    };
    if (isObject(probe['httpGet'])) {
      const get = probe['httpGet'];
      const headers = get['httpHeaders'] ?? [];
      if (!Array.isArray(headers) || !headers.every((h) => isObject(h) && typeof h['name'] === 'string' && typeof h['value'] === 'string')) {
        throw new Error(`${where('httpGet.httpHeaders')} must be a list of {name, value}`);
      }
      const scheme = get['scheme'] ?? 'HTTP';
      if (scheme !== 'HTTP' && scheme !== 'HTTPS') throw new Error(`${where('httpGet.scheme')} must be HTTP or HTTPS`);
      const pathValue = get['path'] ?? '/';
      if (typeof pathValue !== 'string') throw new Error(`${where('httpGet.path')} must be a string`);
      probers[path] = { httpGet: { path: pathValue, port: port(get, 'httpGet'), scheme, httpHeaders: headers as { name: string; value: string }[] }, timeoutSeconds };
    } else if (isObject(probe['tcpSocket'])) {
      probers[path] = { tcpSocket: { port: port(probe['tcpSocket'], 'tcpSocket') }, timeoutSeconds };
    } else if (isObject(probe['grpc'])) {
      const service = probe['grpc']['service'] ?? '';
      // One length byte in the hand-encoded request (grpcProbe).
      if (typeof service !== 'string' || Buffer.byteLength(service) > 127) throw new Error(`${where('grpc.service')} must be a string of at most 127 bytes`);
      probers[path] = { grpc: { port: port(probe['grpc'], 'grpc'), service }, timeoutSeconds };
    } else {
      throw new Error(`${where('(probe)')} has none of httpGet, tcpSocket, grpc`);
    }
  }
  return probers;
}

/** The app-health server the injector asked for through the proxy container's environment, if it did. */
export function appHealthFromEnvironment(env: NodeJS.ProcessEnv = process.env): AppHealthOptions | undefined {
  const json = env[APP_PROBERS_ENV];
  if (!json) return undefined;
  const address = env[APP_HEALTH_ADDRESS_ENV] ?? '';
  const colon = address.lastIndexOf(':');
  const port = address.slice(colon + 1);
  if (colon < 1 || !/^\d+$/.test(port) || Number(port) > 65535) throw new Error(`${APP_HEALTH_ADDRESS_ENV}: "${address}" is not a host:port`);
  const appHost = env[APP_HOST_ENV];
  return { probers: parseAppProbers(json), address, ...(appHost ? { appHost } : {}) };
}

export type ProbeResult = { healthy: true; detail: string } | { healthy: false; detail: string };

/**
 * Answers the kubelet's rewritten probes by running the original one against the app on
 * localhost (as the kubelet would have: HTTP GET 200-399, a TCP connect, a gRPC health
 * check SERVING), within its timeout: 200 when it passes, 503 when it does not, 404 for
 * a path no probe was recorded for.
 */
export class AppHealthServer {
  private server: http.Server | undefined;

  constructor(private readonly options: AppHealthOptions) {}

  async start(): Promise<string> {
    const server = http.createServer((request, response) => void this.answer(request, response));
    this.server = server;
    const address = this.options.address;
    const colon = address.lastIndexOf(':');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(address.slice(colon + 1)), address.slice(0, colon), () => resolve());
    });
    const bound = server.address() as AddressInfo;
    return `${bound.address}:${bound.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async answer(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://health').pathname;
    const probe = this.options.probers[path];
    const reply = (code: number, text: string) => {
      response.writeHead(code, { 'content-type': 'text/plain' });
      response.end(text + '\n');
    };
    if (request.method !== 'GET' || !probe) return reply(404, `no app probe at ${request.method} ${path}`);
    const result = await runProbe(probe, this.options.appHost ?? '127.0.0.1');
    reply(result.healthy ? 200 : 503, result.detail);
  }
}

/** One original probe against the app at `host`. Never throws: every failure is an unhealthy result. */
export function runProbe(probe: AppProbe, host: string): Promise<ProbeResult> {
  const timeoutMs = probe.timeoutSeconds * 1000;
  if ('httpGet' in probe) return httpProbe(probe.httpGet, host, timeoutMs);
  if ('tcpSocket' in probe) return tcpProbe(probe.tcpSocket.port, host, timeoutMs);
  return grpcProbe(probe.grpc, host, timeoutMs);
}

function httpProbe(get: Extract<AppProbe, { httpGet: unknown }>['httpGet'], host: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'trellis-app-health' };
    for (const { name, value } of get.httpHeaders) headers[name.toLowerCase()] = value;
    // The kubelet does not verify the app's certificate either.
    const client = get.scheme === 'HTTPS' ? https : http;
    // A fresh connection per probe, as the kubelet's: a pooled one could outlive the app's listener.
    const request = client.get({ host, port: get.port, path: get.path, headers, rejectUnauthorized: false, timeout: timeoutMs, agent: false }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? { healthy: true, detail: `HTTP ${status}` } : { healthy: false, detail: `HTTP ${status}` });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ healthy: false, detail: error.message }));
  });
}

function tcpProbe(port: number, host: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs }, () => {
      socket.destroy();
      resolve({ healthy: true, detail: `connected to port ${port}` });
    });
    socket.on('timeout', () => socket.destroy(new Error(`no connection within ${timeoutMs} ms`)));
    socket.on('error', (error) => resolve({ healthy: false, detail: error.message }));
  });
}

const SERVING = 1;

/** grpc.health.v1.Health/Check: the request is one string field, the answer one enum field. */
function grpcProbe({ port, service }: { port: number; service: string }, host: string, timeoutMs: number): Promise<ProbeResult> {
  const name = Buffer.from(service);
  const requestBytes = name.length ? Buffer.concat([Buffer.from([0x0a, name.length]), name]) : Buffer.alloc(0);
  const client = new grpc.Client(`${host}:${port}`, grpc.credentials.createInsecure());
  return new Promise<ProbeResult>((resolve) => {
    client.makeUnaryRequest('/grpc.health.v1.Health/Check', (bytes: Buffer) => bytes, (bytes: Buffer) => bytes, requestBytes, { deadline: Date.now() + timeoutMs }, (error, reply) => {
      if (error) return resolve({ healthy: false, detail: error.details || error.message });
      // Field 1 (varint); absent means 0, UNKNOWN.
      const status = reply && reply[0] === 0x08 ? reply[1] : 0;
      resolve(status === SERVING ? { healthy: true, detail: 'SERVING' } : { healthy: false, detail: `health status ${status}` });
    });
  }).finally(() => client.close());
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
