'use strict';
// The server side of ads-fanout.bench.js: our AdsServer + SnapshotCache, one snapshot per node.
const grpc = require('@grpc/grpc-js');
const { AdsServer, SnapshotCache, Snapshot, TypeUrl } = require('../../../packages/xds/dist');

const SERVICES = 10;
const cache = new SnapshotCache();
const ads = new AdsServer(cache);
const server = new grpc.Server({ 'grpc.max_concurrent_streams': 100000 });
ads.addTo(server);

const cluster = (name) => ({ name, message: { name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} }, service_name: name }, lb_policy: 'ROUND_ROBIN' } });
const assignment = (name, port) => ({ name, message: { cluster_name: name, endpoints: [{ lb_endpoints: [1, 2, 3, 4, 5].map((i) => ({ endpoint: { address: { socket_address: { address: `10.0.${i}.1`, port_value: port } } } })) }] } });
const names = Array.from({ length: SERVICES }, (_, i) => `svc-${i}`);
let snapshot = Snapshot.create({
  [TypeUrl.Cluster]: { resources: names.map(cluster) },
  [TypeUrl.ClusterLoadAssignment]: { resources: names.map((n) => assignment(n, 8080)) },
});
const nodes = new Set();
ads.on('stream-open', (s) => { nodes.add(s.node.id); cache.setSnapshot(s.node.id, snapshot); });

server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.send({ type: 'listening', port });
});

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
process.on('message', (m) => {
  if (m.type === 'stats') process.send({ type: 'stats', rssMb: process.memoryUsage().rss / 1048576, cpuMs: cpuMs() });
  if (m.type === 'change') {
    // One endpoint change, the same for every node: the shared Snapshot object keeps memory flat.
    snapshot = snapshot.withType(TypeUrl.ClusterLoadAssignment, names.map((n, i) => assignment(n, i === 0 ? 9000 + m.round : 8080)));
    const sentAt = performance.timeOrigin + performance.now();
    for (const node of nodes) cache.setSnapshot(node, snapshot);
    process.send({ type: 'changed', sentAt });
  }
  if (m.type === 'exit') { server.forceShutdown(); process.exit(0); }
});
