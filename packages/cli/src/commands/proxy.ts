import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProxyBootstrap } from '@trellis/control-plane';
import { Sidecar } from '@trellis/sidecar';
import { logLine, untilStopped } from '../output';

export interface ProxyCommand {
  /** `<workload>.<namespace>` */
  node: string;
  bootstrap: string;
  serviceAccount: string;
  /** The token the CA accepts (in a cluster, the projected ServiceAccount token); default `<tokenDir>/<node>.token` from the bootstrap. */
  tokenFile?: string;
  adminPort?: number;
  accessLog: boolean;
}

export function readBootstrap(file: string): ProxyBootstrap {
  let parsed: ProxyBootstrap;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as ProxyBootstrap;
  } catch (error) {
    throw new Error(`--bootstrap ${file}: ${(error as Error).message.split('\n')[0]} (the control plane writes it to <state-dir>/bootstrap.json)`);
  }
  for (const field of ['xdsAddress', 'caAddress', 'trustDomain', 'controlPlaneId', 'rootCertFile', 'tokenDir'] as const) {
    if (typeof parsed[field] !== 'string') throw new Error(`--bootstrap ${file}: field "${field}" is missing`);
  }
  return parsed;
}

/** How a pod-side process (proxy or gRPC agent) of workload `node` reaches the control plane, from its bootstrap file. */
export function workloadConnection(options: { node: string; serviceAccount: string; bootstrap: string; tokenFile?: string }) {
  const bootstrap = readBootstrap(options.bootstrap);
  const dot = options.node.lastIndexOf('.');
  if (dot <= 0) throw new Error(`--node "${options.node}": expected <workload>.<namespace>`);
  const namespace = options.node.slice(dot + 1);
  return {
    nodeId: options.node,
    identity: { trustDomain: bootstrap.trustDomain, namespace, serviceAccount: options.serviceAccount },
    xdsAddress: bootstrap.xdsAddress,
    caAddress: bootstrap.caAddress,
    tokenFile: options.tokenFile ?? path.join(bootstrap.tokenDir, `${options.node}.token`),
    controlPlaneRootsPem: [fs.readFileSync(bootstrap.rootCertFile, 'utf8')],
    controlPlaneId: bootstrap.controlPlaneId,
  };
}

export async function startProxy(options: ProxyCommand): Promise<Sidecar> {
  const sidecar = new Sidecar({
    ...workloadConnection(options),
    ...(options.adminPort === undefined ? {} : { adminPort: options.adminPort }),
    accessLog: options.accessLog ? process.stdout : null,
    log: logLine(`proxy ${options.node}`),
  });
  await sidecar.start();
  return sidecar;
}

export async function runProxy(options: ProxyCommand): Promise<void> {
  const sidecar = await startProxy(options);
  await untilStopped();
  await sidecar.stop();
}
