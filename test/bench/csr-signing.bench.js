#!/usr/bin/env node
// CSR signing throughput of the mesh CA (@trellis/pki, built dist), beside Node's raw
// sign/verify rate for the same key type measured in the same run: one CSR signing is one
// signature verification (proof of possession) plus one signature, so raw "verify+sign" pairs
// per second is the ceiling and the ratio shows what parsing and building X.509 costs.
// Each case runs in ROUNDS interleaved rounds and reports the median, so a noisy shared
// machine affects the baseline and the measured case alike.
// Run: npx tsc -b && node test/bench/csr-signing.bench.js [seconds-per-case]
'use strict';
const crypto = require('node:crypto');
const path = require('node:path');

let pki;
try {
  pki = require(path.resolve(__dirname, '../../packages/pki/dist/index.js'));
} catch (err) {
  console.error(`cannot load packages/pki/dist (${err.message}); build first: npx tsc -b`);
  process.exit(1);
}

const { performance } = require('node:perf_hooks');

const SECONDS = Number(process.argv[2] ?? 1);
const ROUNDS = 3;
const IN_FLIGHT = 8;
const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Operations per second with `concurrency` operations in flight. */
async function rate(fn, concurrency = 1) {
  await fn(); // warm up
  const end = performance.now() + SECONDS * 1000;
  let ops = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await fn();
        ops += 1;
      }
    }),
  );
  return ops / ((performance.now() - start) / 1000);
}

/** Raw verify+sign pair with Node's crypto: what one CSR signing must do at the least. */
function rawPair(keyAlgorithm) {
  const { privateKey, publicKey } =
    keyAlgorithm === 'rsa-2048'
      ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
      : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tbs = crypto.randomBytes(400); // about a TBSCertificate
  const signature = crypto.sign('sha256', tbs, privateKey);
  return async () => {
    crypto.verify('sha256', tbs, publicKey, signature);
    crypto.sign('sha256', tbs, privateKey);
  };
}

async function main() {
  const identity = { trustDomain: 'cluster.local', namespace: 'bench', serviceAccount: 'workload' };
  const rssStart = process.memoryUsage().rss;
  console.log(`CSR signing benchmark: ${SECONDS} s per case, Node ${process.version}, ${process.arch}`);
  console.log(`${ROUNDS} rounds of ${SECONDS} s per case, medians; "in flight" = ${IN_FLIGHT} concurrent signings`);
  console.log('key type   | raw verify+sign /s | signCsr /s (ms each) | vs raw | signCsr in flight /s | issue from public key /s');
  for (const keyAlgorithm of ['ecdsa-p256', 'rsa-2048']) {
    const raw = rawPair(keyAlgorithm);
    const root = await pki.createSelfSignedRoot({ trustDomain: identity.trustDomain, keyAlgorithm });
    const ca = await pki.CertificateAuthority.create(root, { trustDomain: identity.trustDomain });
    const key = await pki.generateKeyPair(keyAlgorithm);
    const csr = await pki.createCsr(key.privateKeyPem, identity);
    const sign = () => ca.signCsr(csr, identity);
    const results = { raw: [], signed: [], inFlight: [], issued: [] };
    for (let round = 0; round < ROUNDS; round++) {
      results.raw.push(await rate(raw));
      results.signed.push(await rate(sign));
      results.inFlight.push(await rate(sign, IN_FLIGHT));
      results.issued.push(await rate(() => ca.issue(key.publicKeyPem, { identity })));
    }
    const [rawRate, signed, inFlight, issued] = [results.raw, results.signed, results.inFlight, results.issued].map(median);
    console.log(
      `${keyAlgorithm.padEnd(10)} | ${rawRate.toFixed(0).padStart(18)} | ${signed.toFixed(0).padStart(10)} (${(1000 / signed).toFixed(2)} ms) | ` +
        `${(signed / rawRate).toFixed(3).padStart(6)} | ${inFlight.toFixed(0).padStart(20)} | ${issued.toFixed(0).padStart(24)}`,
    );
  }
  const rssEnd = process.memoryUsage().rss;
  console.log(`RSS: ${mib(rssStart)} MiB at start, ${mib(rssEnd)} MiB at end`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
