// Pods as network namespaces, for the capture test (netns-capture.test.ts) and bench
// (test/bench/capture-pair.bench.js): a hub namespace holds a bridge joining one veth per pod
// and one from the root namespace, which gets `hostIp` (the control plane listens there).
// Everything is named `<prefix>…`, so a run can remove what an interrupted one left. Root only.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');

const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** The namespace of a pod (or of the hub, `hub`). */
const netnsOf = (prefix, name) => `${prefix}${name}`;

/** Remove the namespaces (killing what still runs in them) and the root link a run made. */
function removeNetwork(prefix, rootLink) {
  const names = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix));
  for (const name of names) {
    for (const pid of spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) spawnSync('kill', ['-9', pid]);
    spawnSync('ip', ['netns', 'del', name]);
  }
  spawnSync('ip', ['link', 'del', rootLink]);
}

/** `pods`: `{ name, ip }` each, on a /24 with `hostIp`. */
function buildNetwork({ prefix, rootLink, hostIp, pods }) {
  const hub = netnsOf(prefix, 'hub');
  ip('netns', 'add', hub);
  ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', hub, 'link', 'set', 'br0', 'up');
  ip('link', 'add', rootLink, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', hub);
  ip('addr', 'add', `${hostIp}/24`, 'dev', rootLink);
  ip('link', 'set', rootLink, 'up');
  ip('-n', hub, 'link', 'set', 'uplink', 'master', 'br0', 'up');
  for (const pod of pods) {
    const ns = netnsOf(prefix, pod.name);
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `veth-${pod.name}`, 'netns', hub);
    ip('-n', ns, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', hub, 'link', 'set', `veth-${pod.name}`, 'master', 'br0', 'up');
  }
}

/** `ip` arguments that run `command` in a namespace, as `uid` if given (setpriv drops root after entering it). */
function inNetns(ns, uid, command) {
  const asUser = uid === undefined ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
  return ['netns', 'exec', ns, ...asUser, ...command];
}

module.exports = { buildNetwork, inNetns, netnsOf, removeNetwork };
