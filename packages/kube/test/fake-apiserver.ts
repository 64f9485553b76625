import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A stand-in for the Kubernetes API server at the protocol level, for tests: a real HTTP
 * server with bearer-token auth, cluster-wide list (with the collection's
 * resourceVersion), and watch as a chunked stream of JSON lines (ADDED, MODIFIED,
 * DELETED, BOOKMARK when allowWatchBookmarks=true, ERROR 410 Expired for a
 * resourceVersion older than the last compaction, a clean end after timeoutSeconds). Like the real one, list items of
 * built-in kinds omit apiVersion and kind, watch events carry them, a deleted object
 * carries the deletion's resourceVersion, and an unserved kind (a CRD nobody
 * installed) is 404. It also serves discovery (/api, /apis, resource lists) and single
 * objects, which is what kubectl needs for `apply --dry-run=client`.
 */

export interface FakeKind {
  apiVersion: string;
  kind: string;
  plural: string;
  /** Built-in kinds are listed without per-item apiVersion/kind; custom resources with. */
  builtIn: boolean;
  namespaced: boolean;
}

export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; creationTimestamp?: string; [key: string]: unknown };
  [key: string]: unknown;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Collection {
  kind: FakeKind;
  objects: Map<string, StoredObject>;
}

interface Watcher {
  path: string;
  response: http.ServerResponse;
  bookmarks: boolean;
}

export interface RequestRecord {
  path: string;
  watch: boolean;
  query: Record<string, string>;
}

const TOKEN = 'trellis-test-token';

/** A serving certificate for 127.0.0.1 and the CA that signed it (PEM). */
export interface ServingTls {
  key: string;
  cert: string;
  ca: string;
}

function collectionPath(kind: Pick<FakeKind, 'apiVersion' | 'plural'>): string {
  return kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}/${kind.plural}` : `/api/${kind.apiVersion}/${kind.plural}`;
}

const objectKey = (metadata: StoredObject['metadata']) => `${metadata.namespace ?? ''}/${metadata.name}`;
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export class FakeApiServer {
  readonly requests: RequestRecord[] = [];
  private readonly collections = new Map<string, Collection>();
  private readonly history: { resourceVersion: number; path: string; type: EventType; object: StoredObject }[] = [];
  private readonly watchers = new Set<Watcher>();
  private resourceVersion = 1000;
  private compactedAt = 0;
  private available = true;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly tls: ServingTls | undefined) {
    const handler = (request: http.IncomingMessage, response: http.ServerResponse) => this.handle(request, response);
    this.server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
    // Tracked at the TCP level, so close() also ends connections still in their TLS handshake.
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Plain HTTP unless `tls` is given, as a real cluster's HTTPS endpoint. */
  static async start(kinds: FakeKind[], tls?: ServingTls): Promise<FakeApiServer> {
    const server = new FakeApiServer(tls);
    for (const kind of kinds) server.serve(kind);
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A kubeconfig for this server, as `kubectl config view --raw` would print it. */
  kubeConfigYaml(token = TOKEN): string {
    // client-node talks plain HTTP only to a cluster marked insecure; over TLS it checks the CA.
    const trust = this.tls ? `certificate-authority-data: ${Buffer.from(this.tls.ca).toString('base64')}` : 'insecure-skip-tls-verify: true';
    return [
      'apiVersion: v1', 'kind: Config', 'current-context: fake',
      `clusters: [{ name: fake, cluster: { server: "${this.url}", ${trust} } }]`,
      `users: [{ name: tester, user: { token: "${token}" } }]`,
      'contexts: [{ name: fake, context: { cluster: fake, user: tester } }]',
    ].join('\n');
  }

  /** Starts serving a kind, as installing its CRD would. */
  serve(kind: FakeKind): void {
    this.collections.set(collectionPath(kind), { kind, objects: new Map() });
  }

  create(object: StoredObject): StoredObject {
    const collection = this.collectionOf(object);
    if (collection.objects.has(objectKey(object.metadata))) throw new Error(`${object.kind} ${objectKey(object.metadata)} already exists`);
    const stored = clone(object);
    stored.metadata.uid = randomUUID();
    stored.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return this.commit(collection, 'ADDED', stored);
  }

  /** Replaces an object (a PUT): the caller passes the whole new version. */
  update(object: StoredObject): StoredObject {
    const collection = this.collectionOf(object);
    const existing = collection.objects.get(objectKey(object.metadata));
    if (!existing) throw new Error(`${object.kind} ${objectKey(object.metadata)} does not exist`);
    const stored = clone(object);
    stored.metadata.uid = existing.metadata.uid;
    stored.metadata.creationTimestamp = existing.metadata.creationTimestamp;
    return this.commit(collection, 'MODIFIED', stored);
  }

  remove(object: Pick<StoredObject, 'apiVersion' | 'kind' | 'metadata'>): void {
    const collection = this.collectionOf(object);
    const existing = collection.objects.get(objectKey(object.metadata));
    if (!existing) throw new Error(`${object.kind} ${objectKey(object.metadata)} does not exist`);
    this.commit(collection, 'DELETED', clone(existing));
  }

  /** Sends every bookmark-asking watcher the current resourceVersion, as the API server does periodically. */
  bookmark(): void {
    for (const watcher of this.watchers) {
      if (!watcher.bookmarks) continue;
      const { kind } = this.collections.get(watcher.path)!;
      this.send(watcher.response, 'BOOKMARK', { apiVersion: kind.apiVersion, kind: kind.kind, metadata: { resourceVersion: String(this.resourceVersion) } });
    }
  }

  /** Forgets the event history, as etcd compaction does: watches from an older resourceVersion get 410 Gone. */
  compact(): void {
    this.compactedAt = this.resourceVersion;
    this.history.length = 0;
  }

  /** Cuts every open watch connection mid-stream. */
  dropWatches(): void {
    for (const watcher of this.watchers) watcher.response.socket?.destroy();
    this.watchers.clear();
  }

  /** While unavailable every request gets 503, as during an API server restart. */
  setAvailable(available: boolean): void {
    this.available = available;
  }

  requestCount(path: string, watch: boolean): number {
    return this.requests.filter((r) => r.path === path && r.watch === watch).length;
  }

  async close(): Promise<void> {
    this.dropWatches();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private collectionOf(object: Pick<StoredObject, 'apiVersion' | 'kind'>): Collection {
    const found = [...this.collections.values()].find((c) => c.kind.apiVersion === object.apiVersion && c.kind.kind === object.kind);
    if (!found) throw new Error(`${object.apiVersion} ${object.kind} is not served`);
    return found;
  }

  private commit(collection: Collection, type: EventType, object: StoredObject): StoredObject {
    object.metadata.resourceVersion = String(++this.resourceVersion);
    const key = objectKey(object.metadata);
    if (type === 'DELETED') collection.objects.delete(key);
    else collection.objects.set(key, object);
    const path = collectionPath(collection.kind);
    this.history.push({ resourceVersion: this.resourceVersion, path, type, object: clone(object) });
    for (const watcher of this.watchers) if (watcher.path === path) this.send(watcher.response, type, object);
    return clone(object);
  }

  private send(response: http.ServerResponse, type: string, object: unknown): void {
    response.write(JSON.stringify({ type, object }) + '\n');
  }

  private reply(response: http.ServerResponse, code: number, body: unknown): void {
    response.writeHead(code, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const watch = query['watch'] === 'true' || query['watch'] === '1';
    this.requests.push({ path: url.pathname, watch, query });
    if (!this.available) return this.reply(response, 503, status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'));
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return this.reply(response, 401, status(401, 'Unauthorized', 'Unauthorized'));
    if (request.method !== 'GET') return this.reply(response, 405, status(405, 'MethodNotAllowed', `${request.method} is not supported by this stand-in`));
    const discovery = this.discovery(url.pathname);
    if (discovery) return this.reply(response, 200, discovery);
    const collection = this.collections.get(url.pathname);
    if (!collection) return this.getObject(url.pathname, response);
    if (watch) return this.watch(collection, url.pathname, query, response);
    const builtIn = collection.kind.builtIn;
    this.reply(response, 200, {
      apiVersion: collection.kind.apiVersion,
      kind: `${collection.kind.kind}List`,
      metadata: { resourceVersion: String(this.resourceVersion) },
      items: [...collection.objects.values()].map(({ apiVersion, kind, ...rest }) => (builtIn ? rest : { apiVersion, kind, ...rest })),
    });
  }

  private groupVersions(): string[] {
    return [...new Set([...this.collections.values()].map((c) => c.kind.apiVersion))].sort();
  }

  /** Discovery documents: which versions, groups and resources are served. */
  private discovery(pathname: string): object | undefined {
    if (pathname === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    if (pathname === '/apis') {
      const groups = this.groupVersions().filter((gv) => gv.includes('/')).map((gv) => gv.split('/') as [string, string]);
      return {
        kind: 'APIGroupList', apiVersion: 'v1',
        groups: groups.map(([group, version]) => ({ name: group, versions: [{ groupVersion: `${group}/${version}`, version }], preferredVersion: { groupVersion: `${group}/${version}`, version } })),
      };
    }
    const groupVersion = this.groupVersions().find((gv) => collectionPath({ apiVersion: gv, plural: '' }) === `${pathname}/`);
    if (!groupVersion) return undefined;
    const kinds = [...this.collections.values()].map((c) => c.kind).filter((k) => k.apiVersion === groupVersion);
    return {
      kind: 'APIResourceList', apiVersion: 'v1', groupVersion,
      resources: kinds.map((k) => ({ name: k.plural, singularName: k.kind.toLowerCase(), namespaced: k.namespaced, kind: k.kind, verbs: ['get', 'list', 'watch'] })),
    };
  }

  /** GET of one object: `<version path>/[namespaces/<ns>/]<plural>/<name>`. */
  private getObject(pathname: string, response: http.ServerResponse): void {
    const notFound = (what: string) => this.reply(response, 404, status(404, 'NotFound', what));
    for (const collection of this.collections.values()) {
      const prefix = collectionPath({ apiVersion: collection.kind.apiVersion, plural: '' });
      if (!pathname.startsWith(prefix)) continue;
      const rest = pathname.slice(prefix.length).split('/');
      const [namespace, plural, name] = rest.length === 4 && rest[0] === 'namespaces' ? [rest[1], rest[2], rest[3]] : [undefined, rest[0], rest[1]];
      if (rest.length !== 2 && rest.length !== 4) continue;
      if (plural !== collection.kind.plural || (namespace !== undefined) !== collection.kind.namespaced) continue;
      const object = collection.objects.get(`${namespace ?? ''}/${name}`);
      return object ? this.reply(response, 200, object) : notFound(`${collection.kind.plural} "${name}" not found`);
    }
    notFound('the server could not find the requested resource');
  }

  private watch(collection: Collection, path: string, query: Record<string, string>, response: http.ServerResponse): void {
    // Headers go out at once, as the API server's do: a quiet watch is still an established one.
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    response.flushHeaders();
    const from = query['resourceVersion'];
    if (from === undefined || from === '' || from === '0') {
      // No version: start with the current state as ADDED events.
      for (const object of collection.objects.values()) this.send(response, 'ADDED', object);
    } else if (Number(from) < this.compactedAt) {
      this.send(response, 'ERROR', status(410, 'Expired', `too old resource version: ${from} (${this.compactedAt})`));
      response.end();
      return;
    } else {
      for (const event of this.history) {
        if (event.path === path && event.resourceVersion > Number(from)) this.send(response, event.type, event.object);
      }
    }
    const watcher: Watcher = { path, response, bookmarks: query['allowWatchBookmarks'] === 'true' };
    this.watchers.add(watcher);
    // The watch ends cleanly when its timeoutSeconds run out; the client watches again from where it was.
    const timeout = query['timeoutSeconds'] ? setTimeout(() => response.end(), Number(query['timeoutSeconds']) * 1000) : undefined;
    response.on('close', () => {
      clearTimeout(timeout);
      this.watchers.delete(watcher);
    });
  }
}

export const FAKE_KINDS = {
  service: { apiVersion: 'v1', kind: 'Service', plural: 'services', builtIn: true, namespaced: true },
  pod: { apiVersion: 'v1', kind: 'Pod', plural: 'pods', builtIn: true, namespaced: true },
  serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', builtIn: true, namespaced: true },
  namespace: { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', builtIn: true, namespaced: false },
  endpointSlice: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices', builtIn: true, namespaced: true },
  workloadEntry: { apiVersion: 'networking.trellis.dev/v1alpha1', kind: 'WorkloadEntry', plural: 'workloadentries', builtIn: false, namespaced: true },
  authorizationPolicy: { apiVersion: 'security.trellis.dev/v1', kind: 'AuthorizationPolicy', plural: 'authorizationpolicies', builtIn: false, namespaced: true },
  peerAuthentication: { apiVersion: 'security.trellis.dev/v1', kind: 'PeerAuthentication', plural: 'peerauthentications', builtIn: false, namespaced: true },
  wafPolicy: { apiVersion: 'security.trellis.dev/v1alpha1', kind: 'WafPolicy', plural: 'wafpolicies', builtIn: false, namespaced: true },
  httpRoute: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', plural: 'httproutes', builtIn: false, namespaced: true },
  istioAuthorizationPolicy: { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', plural: 'authorizationpolicies', builtIn: false, namespaced: true },
  istioPeerAuthentication: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', plural: 'peerauthentications', builtIn: false, namespaced: true },
} satisfies Record<string, FakeKind>;

/** The other kinds of the install manifest, for kubectl to map and look up. */
export const INSTALL_KINDS: FakeKind[] = [
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', builtIn: true, namespaced: false },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', plural: 'clusterroles', builtIn: true, namespaced: false },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', builtIn: true, namespaced: false },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles', builtIn: true, namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', plural: 'rolebindings', builtIn: true, namespaced: true },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', builtIn: true, namespaced: true },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', builtIn: true, namespaced: true },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', builtIn: true, namespaced: false },
];
