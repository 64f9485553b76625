'use strict';
// The client side of ads-fanout.bench.js: N raw SotW ADS streams, each on its own
// HTTP/2 connection (as N sidecars would be), ACKing like Envoy does.
const grpc = require('@grpc/grpc-js');
const { adsServiceDefinition, TypeUrl } = require('../../../packages/xds/dist');

const [port, count] = process.argv.slice(2).map(Number);
const Client = grpc.makeGenericClientConstructor(adsServiceDefinition(), 'ADS');
const EDS = TypeUrl.ClusterLoadAssignment;
const names = Array.from({ length: 10 }, (_, i) => `svc-${i}`);
let synced = 0;
let round = null;

for (let i = 0; i < count; i++) {
  // A distinct channel option keeps grpc-js from sharing one subchannel between clients.
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'trellis.bench.client': i, 'grpc.use_local_subchannel_pool': 1 });
  const call = client.StreamAggregatedResources();
  let first = true;
  call.on('data', (response) => {
    call.write({ type_url: response.type_url, version_info: response.version_info, response_nonce: response.nonce, resource_names: names });
    if (first) {
      first = false;
      if (++synced === count) process.send({ type: 'synced' });
    } else if (round) {
      round.push(performance.timeOrigin + performance.now());
      if (round.length === count) { process.send({ type: 'received', times: round }); round = null; }
    }
  });
  call.on('error', (e) => { console.error(`stream ${i}: ${e.message}`); process.exit(1); });
  call.write({ node: { id: `sidecar-${i}`, cluster: 'bench' }, type_url: EDS, resource_names: names });
}
// The parent arms a round before it triggers a change.
process.on('message', (m) => {
  if (m.type === 'arm') { round = []; process.send({ type: 'armed' }); }
});
