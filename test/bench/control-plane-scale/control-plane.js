'use strict';
// The control-plane side of control-plane-scale.bench.js: the real ControlPlane over a config directory.
const { ControlPlane } = require('../../../packages/control-plane/dist');

const [configDir, stateDir] = process.argv.slice(2);
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const pushes = [];
const cp = new ControlPlane({
  configDir, stateDir, xdsAddress: '127.0.0.1:0', caAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0',
  // The simulated proxies never bind listeners: offer every workload as an endpoint at once.
  endpointReadiness: 'always',
  log: (event, fields) => { if (event === 'pushed') pushes.push({ at: Date.now(), ...fields }); },
});
cp.start().then(() => process.send({ type: 'ready', xds: cp.addresses.xds, caDir: cp.caDir, bundle: cp.trustBundlePem() }));
process.on('message', (m) => {
  if (m.type === 'stats') {
    const status = cp.proxyStatus();
    const synced = status.filter((s) => s.types.length >= 5 && s.types.every((t) => t.state === 'SYNCED')).length;
    process.send({ type: 'stats', rssMb: process.memoryUsage().rss / 1048576, cpuMs: cpuMs(), connected: status.length, synced, pushes: pushes.splice(0) });
  }
  if (m.type === 'exit') cp.stop().then(() => process.exit(0));
});
