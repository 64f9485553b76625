import * as grpc from '@grpc/grpc-js';
import { AdsServer, SnapshotCache, Snapshot, TypeUrl, adsServiceDefinition, apiListener, clusterLoadAssignment, edsCluster, weightedRoute, type ResourceInput } from '../src';

export { apiListener, edsCluster } from '../src';
export const route = weightedRoute;
export function endpoints(clusterName: string, ports: number[], host = '127.0.0.1'): ResourceInput {
  return clusterLoadAssignment(clusterName, ports.map((port) => ({ host, port })));
}

/** A consistent mesh of services, each `name` → listener `name`, route `name-route`, cluster `name`. */
export function meshSnapshot(services: Record<string, number[]>): Snapshot {
  const names = Object.keys(services);
  return Snapshot.create({
    [TypeUrl.Listener]: { resources: names.map((n) => apiListener(n, `${n}-route`)) },
    [TypeUrl.RouteConfiguration]: { resources: names.map((n) => route(`${n}-route`, n, { [n]: 1 })) },
    [TypeUrl.Cluster]: { resources: names.map((n) => edsCluster(n)) },
    [TypeUrl.ClusterLoadAssignment]: { resources: names.map((n) => endpoints(n, services[n]!)) },
  });
}

export interface RunningServer {
  cache: SnapshotCache;
  ads: AdsServer;
  server: grpc.Server;
  port: number;
  address: string;
  stop(): Promise<void>;
}

export async function startServer(cache = new SnapshotCache(), port = 0): Promise<RunningServer> {
  const server = new grpc.Server();
  const ads = new AdsServer(cache);
  ads.addTo(server);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    cache, ads, server, port: bound, address: `127.0.0.1:${bound}`,
    stop: () => new Promise((resolve) => { server.forceShutdown(); resolve(); }),
  };
}

/** A raw ADS stream for protocol-level tests: write requests, await responses one by one. */
export class RawStream<Req, Res> {
  private readonly queue: Res[] = [];
  private readonly waiters: ((r: Res) => void)[] = [];
  readonly call: grpc.ClientDuplexStream<Req, Res>;
  readonly client: grpc.Client;
  error?: grpc.ServiceError;

  constructor(address: string, method: 'StreamAggregatedResources' | 'DeltaAggregatedResources') {
    const Client = grpc.makeGenericClientConstructor(adsServiceDefinition(), 'ADS');
    this.client = new Client(address, grpc.credentials.createInsecure());
    this.call = (this.client as unknown as Record<string, () => grpc.ClientDuplexStream<Req, Res>>)[method]!.call(this.client);
    this.call.on('data', (r: Res) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(r);
      else this.queue.push(r);
    });
    this.call.on('error', (e: grpc.ServiceError) => { this.error = e; });
  }

  send(request: Req): void {
    this.call.write(request);
  }

  next(timeoutMs = 2000): Promise<Res> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no response within ' + timeoutMs + ' ms')), timeoutMs);
      this.waiters.push((r) => { clearTimeout(timer); resolve(r); });
    });
  }

  /** Resolves true if nothing arrives within `ms`. */
  async quiet(ms = 150): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.queue.length === 0;
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

export const NODE = { id: 'sidecar~10.0.0.1~a-1.default~default.svc.cluster.local', cluster: 'a' };
