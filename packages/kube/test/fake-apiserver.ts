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
 *
 * Writes: POST creates (409 AlreadyExists), PUT replaces (409 Conflict on a stale
 * resourceVersion), PATCH applies an RFC 6902 JSON patch; a namespaced collection is also
 * served under `namespaces/<ns>/`. TokenReview (authentication.k8s.io/v1) answers for the
 * ServiceAccount tokens minted with `serviceAccountToken()` the way the API server's
 * token authenticator does: audiences intersected, expiry checked, a pod-bound token
 * invalid once its pod is gone, the user as system:serviceaccount:<ns>:<sa> with the pod
 * in `extra`, and a refusal as `authenticated` unset plus an `error` (still 201 Created).
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
  /** The collection's cluster-wide path; `namespace` narrows a namespaced watch. */
  path: string;
  namespace?: string;
  response: http.ServerResponse;
  bookmarks: boolean;
}

export interface RequestRecord {
  method: string;
  path: string;
  watch: boolean;
  query: Record<string, string>;
}

const TOKEN = 'trellis-test-token';
/** What the API server checks a token against when a TokenReview names no audiences. */
export const API_SERVER_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

/** What `serviceAccountToken()` mints: a projected token, optionally bound to a pod. */
export interface TokenClaims {
  namespace: string;
  serviceAccount: string;
  audiences: string[];
  expiresAt: Date;
  pod?: { name: string; uid: string };
}

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
  private readonly tokens = new Map<string, TokenClaims>();
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

  /** Mints a ServiceAccount token, as the TokenRequest API does for a projected volume. */
  serviceAccountToken(claims: TokenClaims): string {
    const token = `fake-sa-token.${randomUUID()}`;
    this.tokens.set(token, { ...claims, audiences: [...claims.audiences] });
    return token;
  }

  /** An object as stored, or undefined. */
  get(kind: Pick<FakeKind, 'apiVersion' | 'kind'>, namespace: string | undefined, name: string): StoredObject | undefined {
    const found = this.collectionOf(kind).objects.get(`${namespace ?? ''}/${name}`);
    return found && clone(found);
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
    for (const watcher of this.watchers) if (watcher.path === path && inNamespace(object, watcher.namespace)) this.send(watcher.response, type, object);
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
    const method = request.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, watch, query });
    if (!this.available) return this.reply(response, 503, status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'));
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return this.reply(response, 401, status(401, 'Unauthorized', 'Unauthorized'));
    if (method !== 'GET') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.write(method, url.pathname, request.headers['content-type'], Buffer.concat(chunks).toString('utf8'), response));
      return;
    }
    const namespaced = this.locate(url.pathname);
    if (namespaced && namespaced.name === undefined) {
      if (watch) return this.watch(namespaced.collection, query, response, namespaced.namespace);
      return this.list(namespaced.collection, response, namespaced.namespace);
    }
    const discovery = this.discovery(url.pathname);
    if (discovery) return this.reply(response, 200, discovery);
    const collection = this.collections.get(url.pathname);
    if (!collection) return this.getObject(url.pathname, response);
    if (watch) return this.watch(collection, query, response);
    this.list(collection, response);
  }

  private list(collection: Collection, response: http.ServerResponse, namespace?: string): void {
    const builtIn = collection.kind.builtIn;
    const objects = [...collection.objects.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace);
    this.reply(response, 200, {
      apiVersion: collection.kind.apiVersion,
      kind: `${collection.kind.kind}List`,
      metadata: { resourceVersion: String(this.resourceVersion) },
      items: objects.map(({ apiVersion, kind, ...rest }) => (builtIn ? rest : { apiVersion, kind, ...rest })),
    });
  }

  /** `<version path>/namespaces/<ns>/<plural>[/<name>]` of a namespaced kind, or `<version path>/<plural>/<name>` of a cluster one. */
  private locate(pathname: string): { collection: Collection; namespace?: string; name?: string } | undefined {
    for (const collection of this.collections.values()) {
      const prefix = collectionPath({ apiVersion: collection.kind.apiVersion, plural: '' });
      if (!pathname.startsWith(prefix)) continue;
      const rest = pathname.slice(prefix.length).split('/');
      if (collection.kind.namespaced && rest[0] === 'namespaces' && rest[2] === collection.kind.plural && (rest.length === 3 || rest.length === 4)) {
        return { collection, namespace: rest[1], ...(rest.length === 4 ? { name: rest[3] } : {}) };
      }
      if (!collection.kind.namespaced && rest.length === 2 && rest[0] === collection.kind.plural) return { collection, name: rest[1] };
    }
    return undefined;
  }

  /** POST (create, or a TokenReview), PUT (replace) and PATCH (RFC 6902). */
  private write(method: string, pathname: string, contentType: string | undefined, text: string, response: http.ServerResponse): void {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return this.reply(response, 400, status(400, 'BadRequest', 'the request body is not JSON'));
    }
    if (method === 'POST' && pathname === '/apis/authentication.k8s.io/v1/tokenreviews') return this.reply(response, 201, this.reviewToken(body as TokenReviewBody));
    const target = this.locate(pathname);
    if (!target) return this.reply(response, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const { collection, namespace, name } = target;
    const what = `${collection.kind.plural} "${name ?? (body as StoredObject).metadata?.name}"`;
    const existing = name === undefined ? undefined : collection.objects.get(`${namespace ?? ''}/${name}`);
    if (method === 'POST' && name === undefined) {
      const object = { ...(body as StoredObject), apiVersion: collection.kind.apiVersion, kind: collection.kind.kind };
      object.metadata = { ...object.metadata, ...(namespace ? { namespace } : {}) };
      if (collection.objects.has(objectKey(object.metadata))) return this.reply(response, 409, status(409, 'AlreadyExists', `${what} already exists`));
      return this.reply(response, 201, this.create(object));
    }
    if (!existing) return this.reply(response, 404, status(404, 'NotFound', `${what} not found`));
    if (method === 'PUT') {
      const object = body as StoredObject;
      if (object.metadata?.resourceVersion && object.metadata.resourceVersion !== existing.metadata.resourceVersion) {
        return this.reply(response, 409, status(409, 'Conflict', `Operation cannot be fulfilled on ${what}: the object has been modified; please apply your changes to the latest version and try again`));
      }
      return this.reply(response, 200, this.update({ ...object, metadata: { ...object.metadata, name: existing.metadata.name, ...(namespace ? { namespace } : {}) } }));
    }
    if (method === 'PATCH' && contentType === 'application/json-patch+json') {
      try {
        return this.reply(response, 200, this.update(applyJsonPatch(clone(existing), body as JsonPatchOperation[])));
      } catch (error) {
        return this.reply(response, 422, status(422, 'Invalid', `${what}: ${(error as Error).message}`));
      }
    }
    this.reply(response, 415, status(415, 'UnsupportedMediaType', `${method} with ${contentType ?? 'no content type'} is not supported by this stand-in`));
  }

  private reviewToken(review: TokenReviewBody): object {
    const spec = review.spec ?? {};
    const answer = (result: object) => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: { creationTimestamp: null }, spec, status: result });
    const refuse = (error: string) => answer({ user: {}, error: `[invalid bearer token, ${error}]` });
    const claims = this.tokens.get(spec.token ?? '');
    if (!claims) return refuse('token is not a service account token this server issued');
    const wanted = spec.audiences?.length ? spec.audiences : [API_SERVER_AUDIENCE];
    const audiences = wanted.filter((a) => claims.audiences.includes(a));
    if (!audiences.length) return refuse(`token audiences ${JSON.stringify(claims.audiences)} is invalid for the target audiences ${JSON.stringify(wanted)}`);
    if (claims.expiresAt.getTime() <= Date.now()) return refuse('service account token has expired');
    const extra: Record<string, string[]> = {};
    if (claims.pod) {
      const pod = [...this.collections.values()].find((c) => c.kind.kind === 'Pod')?.objects.get(`${claims.namespace}/${claims.pod.name}`);
      if (pod?.metadata.uid !== claims.pod.uid) return refuse('service account token has been invalidated');
      extra['authentication.kubernetes.io/pod-name'] = [claims.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [claims.pod.uid];
    }
    return answer({
      authenticated: true,
      audiences,
      user: {
        username: `system:serviceaccount:${claims.namespace}:${claims.serviceAccount}`,
        uid: randomUUID(),
        groups: ['system:serviceaccounts', `system:serviceaccounts:${claims.namespace}`, 'system:authenticated'],
        extra,
      },
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

  private watch(collection: Collection, query: Record<string, string>, response: http.ServerResponse, namespace?: string): void {
    const path = collectionPath(collection.kind);
    // Headers go out at once, as the API server's do: a quiet watch is still an established one.
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    response.flushHeaders();
    const from = query['resourceVersion'];
    if (from === undefined || from === '' || from === '0') {
      // No version: start with the current state as ADDED events.
      for (const object of collection.objects.values()) if (inNamespace(object, namespace)) this.send(response, 'ADDED', object);
    } else if (Number(from) < this.compactedAt) {
      this.send(response, 'ERROR', status(410, 'Expired', `too old resource version: ${from} (${this.compactedAt})`));
      response.end();
      return;
    } else {
      for (const event of this.history) {
        if (event.path === path && inNamespace(event.object, namespace) && event.resourceVersion > Number(from)) this.send(response, event.type, event.object);
      }
    }
    const watcher: Watcher = { path, ...(namespace ? { namespace } : {}), response, bookmarks: query['allowWatchBookmarks'] === 'true' };
    this.watchers.add(watcher);
    // The watch ends cleanly when its timeoutSeconds run out; the client watches again from where it was.
    const timeout = query['timeoutSeconds'] ? setTimeout(() => response.end(), Number(query['timeoutSeconds']) * 1000) : undefined;
    response.on('close', () => {
      clearTimeout(timeout);
      this.watchers.delete(watcher);
    });
  }
}

const inNamespace = (object: StoredObject, namespace: string | undefined) => namespace === undefined || object.metadata.namespace === namespace;

interface TokenReviewBody {
  spec?: { token?: string; audiences?: string[] };
}

interface JsonPatchOperation {
  op: string;
  path: string;
  value?: unknown;
}

/** RFC 6902 add, replace and remove (what our callers send), with RFC 6901 pointers. */
export function applyJsonPatch<T>(document: T, operations: readonly JsonPatchOperation[]): T {
  let root: unknown = document;
  for (const { op, path, value } of operations) {
    if (path === '') {
      if (op !== 'add' && op !== 'replace') throw new Error(`${op} of the whole document is not supported`);
      root = clone(value);
      continue;
    }
    const tokens = path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop()!;
    let parent = root as Record<string, unknown> | unknown[];
    for (const token of tokens) {
      const next = Array.isArray(parent) ? parent[Number(token)] : parent[token];
      if (next === null || typeof next !== 'object') throw new Error(`patch path ${path}: ${token} does not exist`);
      parent = next as Record<string, unknown> | unknown[];
    }
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length || (op !== 'add' && index >= parent.length)) throw new Error(`patch path ${path}: index out of range`);
      if (op === 'add') parent.splice(index, 0, clone(value));
      else if (op === 'replace') parent[index] = clone(value);
      else if (op === 'remove') parent.splice(index, 1);
      else throw new Error(`patch op "${op}" is not supported`);
      continue;
    }
    if (op !== 'add' && !(last in parent)) throw new Error(`patch path ${path}: does not exist`);
    if (op === 'add' || op === 'replace') parent[last] = clone(value);
    else if (op === 'remove') delete parent[last];
    else throw new Error(`patch op "${op}" is not supported`);
  }
  return root as T;
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
  configMap: { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', builtIn: true, namespaced: true },
  httpRoute: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', plural: 'httproutes', builtIn: false, namespaced: true },
  secret: { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', builtIn: true, namespaced: true },
  mutatingWebhookConfiguration: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', builtIn: true, namespaced: false },
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
];
