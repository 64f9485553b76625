'use strict';
// The proxy side of control-plane-scale.bench.js: N simulated sidecars, each with its
// own key and SPIFFE certificate from the mesh CA and its own mTLS ADS stream, ACKing
// like Envoy and recording when and how much each type arrives.
const grpc = require('@grpc/grpc-js');
const { CertificateAuthority, generateKeyPair, joinPem, loadCaFromDir, spiffeServerIdentityCheck } = require('../../../packages/pki/dist');
const { adsServiceDefinition, TypeUrl } = require('../../../packages/xds/dist');

const [xds, caDir, count] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const workloads = JSON.parse(process.argv[5]);
// 'sotw' (Envoy's default) or 'delta' (incremental: only changed resources and removed names).
const protocol = process.argv[6] ?? 'sotw';
const Client = grpc.makeGenericClientConstructor(adsServiceDefinition(), 'ADS');
const SUBSCRIBE = {
  [TypeUrl.Secret]: ['ROOTCA'], [TypeUrl.Cluster]: [], [TypeUrl.ClusterLoadAssignment]: ['*'], [TypeUrl.Listener]: [], [TypeUrl.RouteConfiguration]: ['outbound|http'],
};
const TYPES = Object.keys(SUBSCRIBE);
let window = null; // { since, received: [{at, type, bytes}] }
const firstFull = new Map(); // proxy -> time all types arrived once

async function main() {
  const dir = await loadCaFromDir(caDir);
  const ca = await CertificateAuthority.create(dir.signing, { trustDomain: 'cluster.local', additionalRootsPem: dir.rootsPem });
  const creds = [];
  for (const w of workloads.slice(0, count)) {
    const { privateKeyPem, publicKeyPem } = await generateKeyPair();
    const issued = await ca.issue(publicKeyPem, { identity: { trustDomain: 'cluster.local', namespace: w.namespace, serviceAccount: w.serviceAccount } });
    creds.push({ w, key: privateKeyPem, chain: issued.chainPem, bundle: issued.trustBundlePem });
  }
  process.send({ type: 'certified' });
  await new Promise((resolve) => process.once('message', resolve));
  const started = Date.now();
  creds.forEach(({ w, key, chain, bundle }, i) => {
    const credentials = grpc.credentials.createSsl(Buffer.from(joinPem(bundle)), Buffer.from(key), Buffer.from(joinPem(chain)), {
      checkServerIdentity: spiffeServerIdentityCheck(bundle, { expectedIds: ['spiffe://cluster.local/ns/trellis-system/sa/trellis-control-plane'] }),
    });
    const client = new Client(xds, credentials, { 'grpc.ssl_target_name_override': 'trellis-control-plane', 'grpc.use_local_subchannel_pool': 1, 'bench.proxy': i });
    const delta = protocol === 'delta';
    const call = delta ? client.DeltaAggregatedResources() : client.StreamAggregatedResources();
    const seen = new Set();
    call.on('data', (r) => {
      const bytes = r.resources.reduce((n, a) => n + (delta ? a.resource.value.length : a.value.length), 0);
      call.write(delta
        ? { type_url: r.type_url, response_nonce: r.nonce }
        : { type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce, resource_names: SUBSCRIBE[r.type_url] });
      seen.add(r.type_url);
      if (!firstFull.has(i) && seen.size === TYPES.length) {
        firstFull.set(i, Date.now());
        if (firstFull.size === creds.length) process.send({ type: 'all-synced', ms: Date.now() - started });
      }
      if (window) window.received.push({ at: Date.now(), proxy: i, type: r.type_url.split('.').pop(), bytes });
    });
    call.on('error', (e) => { console.error(`proxy ${w.name}.${w.namespace}: ${e.message}`); process.exit(1); });
    TYPES.forEach((type, t) => call.write({
      ...(t === 0 ? { node: { id: `${w.name}.${w.namespace}` } } : {}), type_url: type, [delta ? 'resource_names_subscribe' : 'resource_names']: SUBSCRIBE[type],
    }));
  });
}

process.on('message', (m) => {
  if (m.type === 'arm') window = { since: m.since, received: [] };
  if (m.type === 'collect') { process.send({ type: 'window', received: window.received }); window = null; }
});
main().catch((e) => { console.error(e); process.exit(1); });
