// Network RBAC on a real mTLS TCP listener: AuthorizationPolicies go through the Istio
// translation (policy), the Envoy Listener encoding and our xDS translation (proxy-xds),
// then the proxy judges each connection on the client certificate it verified.
import * as https from 'node:https';
import * as net from 'node:net';
import { PassThrough } from 'node:stream';
import * as tls from 'node:tls';
import { STANDARD_NETWORK_FILTERS } from '@trellis/http-filters';
import { parseAuthorizationPolicy, toEnvoyNetworkRbac, NETWORK_RBAC_TYPE_URL } from '@trellis/policy';
import { Proxy } from '@trellis/proxy';
import { proxyListenerType } from '@trellis/proxy-xds';
import { Snapshot, TypeUrl } from '@trellis/xds';
import { inboundSnapshot } from '../../proxy/test/helpers/mesh';
import { close, echoApp, listen } from '../../proxy/test/helpers/net';
import { issueSvid, makeCa, type Svid } from '../../proxy/test/helpers/pki';

const HOST = '127.0.9.1';
const SLEEP = 'spiffe://cluster.local/ns/bar/sa/sleep';
const OTHER = 'spiffe://cluster.local/ns/bar/sa/other';
const WORKLOAD = { namespace: 'foo', labels: { app: 'db' } };

const policy = (name: string, spec: object) => parseAuthorizationPolicy({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'foo' }, spec });

/** The inbound chain's network filters, as our proxy receives them over xDS. */
function networkFiltersFor(policies: ReturnType<typeof policy>[]): unknown[] {
  const filters = toEnvoyNetworkRbac(policies, WORKLOAD).map((config, i) => ({ name: `envoy.filters.network.rbac.${i}`, typed_config: { '@type': NETWORK_RBAC_TYPE_URL, ...config } }));
  const tcpProxy = { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 'inbound', cluster: 'inbound|app' } };
  const listener = { name: 'inbound', address: { socket_address: { address: HOST, port_value: 1 } }, filter_chains: [{ name: 'mtls', filters: [...filters, tcpProxy] }] };
  const snapshot = Snapshot.create({ [TypeUrl.Listener]: { resources: [{ name: 'inbound', message: listener }] } });
  const translated = proxyListenerType.decode(snapshot.get(TypeUrl.Listener)!.resources.get('inbound')!.any).value as { filterChains: { networkFilters?: unknown[] }[] };
  return translated.filterChains[0]!.networkFilters ?? [];
}

const ca = makeCa();
const server = issueSvid(ca, 'spiffe://cluster.local/ns/foo/sa/db');
const clients = { [SLEEP]: issueSvid(ca, SLEEP), [OTHER]: issueSvid(ca, OTHER) };
let app: net.Server;
let appPort: number;
let proxy: Proxy;
const lines: { filters?: Record<string, unknown> }[] = [];

/** The inbound listener: TCP to the echo app, or (http) the HTTP connection manager to an HTTP app, behind the policies' network RBAC. */
async function configure(policies: ReturnType<typeof policy>[], http?: { appPort: number }): Promise<void> {
  const config = inboundSnapshot({ svid: server, ca, appPort: http?.appPort ?? appPort, tcp: !http }) as { listeners: { address: string; filterChains: Record<string, unknown>[] }[] };
  config.listeners[0]!.address = HOST;
  config.listeners[0]!.filterChains[0]!['networkFilters'] = networkFiltersFor(policies);
  await proxy.applyConfig(config);
}

/** Connect as `svid`, send a line; the echo, or 'closed' when the proxy hung up first. */
function exchange(svid: Svid): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: HOST, port: proxy.listenerPort('inbound'), ca: ca.certPem, cert: svid.certPem, key: svid.keyPem, checkServerIdentity: () => undefined });
    let answer = '';
    socket.on('secureConnect', () => socket.write('ping\n'));
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
      if (answer.endsWith('\n')) socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer || 'closed'));
  });
}

beforeAll(async () => {
  app = net.createServer((s) => s.pipe(s));
  appPort = await listen(app);
  const accessLog = new PassThrough();
  accessLog.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l))));
  proxy = new Proxy({ accessLog });
  for (const { typeUrl, factory } of STANDARD_NETWORK_FILTERS) proxy.registerNetworkFilter(typeUrl, factory, typeUrl);
  await configure([]);
  await proxy.start();
});

afterAll(async () => {
  await proxy.close();
  await close(app);
});

test('ALLOW from one principal: that identity is proxied, another is closed, both logged and counted', async () => {
  await configure([policy('only-sleep', { rules: [{ from: [{ source: { principals: ['cluster.local/ns/bar/sa/sleep'] } }] }] })]);
  expect(await exchange(clients[SLEEP]!)).toBe('ping\n');
  expect(await exchange(clients[OTHER]!)).toBe('closed');
  await new Promise((r) => setTimeout(r, 20));
  const decisions = lines.map((l) => l.filters?.['envoy.filters.network.rbac.0']).filter(Boolean);
  expect(decisions).toEqual([
    { allowed: true, policy: 'ns[foo]-policy[only-sleep]-rule[0]' },
    { allowed: false, policy: 'no ALLOW policy matched' },
  ]);
  // The refused connection's line says which filter closed it and why.
  expect(lines.find((l) => l.filters?.['closedBy'])?.filters?.['closedBy']).toEqual({ filter: 'envoy.filters.network.rbac.0', reason: 'RBAC: access denied (no ALLOW policy matched)' });
  const metrics = proxy.stats.renderPrometheus();
  expect(metrics).toContain('rbac_connection_decisions_total{stat_prefix="tcp.",policy="ns[foo]-policy[only-sleep]-rule[0]",decision="allow"} 1');
  expect(metrics).toContain('rbac_connection_decisions_total{stat_prefix="tcp.",policy="no ALLOW policy matched",decision="deny"} 1');
});

test('Istio semantics on TCP: a DENY with only methods: [POST] denies every connection', async () => {
  await configure([policy('no-post', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'] } }] }] })]);
  expect(await exchange(clients[SLEEP]!)).toBe('closed');
  // ... while an ALLOW rule that uses an HTTP-only field is dropped whole: nothing is allowed.
  await configure([policy('get-only', { rules: [{ to: [{ operation: { methods: ['GET'] } }] }] })]);
  expect(await exchange(clients[SLEEP]!)).toBe('closed');
  await configure([]);
  expect(await exchange(clients[SLEEP]!)).toBe('ping\n');
});

test('a policy change reaches new connections; an open connection keeps the decision it was admitted by', async () => {
  await configure([]);
  const open = tls.connect({ host: HOST, port: proxy.listenerPort('inbound'), ca: ca.certPem, cert: clients[SLEEP]!.certPem, key: clients[SLEEP]!.keyPem, checkServerIdentity: () => undefined });
  await new Promise((r) => open.once('secureConnect', r));
  await configure([policy('deny-all', { action: 'DENY', rules: [{}] })]);
  expect(await exchange(clients[SLEEP]!)).toBe('closed');
  open.write('still here\n');
  const echoed = await new Promise<string>((r) => open.once('data', (d: Buffer) => r(d.toString())));
  expect(echoed).toBe('still here\n');
  open.destroy();
});

test('network RBAC ahead of the HTTP connection manager: a denied identity cannot open a connection at all', async () => {
  const httpApp = echoApp('db-admin');
  await configure([policy('no-other', { action: 'DENY', rules: [{ from: [{ source: { principals: ['cluster.local/ns/bar/sa/other'] } }] }] })], { appPort: await listen(httpApp) });
  const get = (svid: Svid) => new Promise<string>((resolve) => {
    const req = https.get({ host: HOST, port: proxy.listenerPort('inbound'), path: '/', ca: ca.certPem, cert: svid.certPem, key: svid.keyPem, checkServerIdentity: () => undefined, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
  expect(await get(clients[SLEEP]!)).toBe('200');
  expect(await get(clients[OTHER]!)).toBe('ECONNRESET');
  await close(httpApp);
});
