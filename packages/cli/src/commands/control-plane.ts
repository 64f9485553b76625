import { ControlPlane } from '@trellis/control-plane';
import { logLine, untilStopped } from '../output';

export interface ControlPlaneCommand {
  /** A directory of YAML, or… */
  configDir?: string;
  /** …a cluster to watch. */
  kubernetes?: { kubeconfig?: string };
  stateDir: string;
  xds: string;
  ca: string;
  admin: string;
  trustDomain: string;
  defaultMtls: 'STRICT' | 'PERMISSIVE';
}

export async function startControlPlane(options: ControlPlaneCommand, log = logLine('control-plane')): Promise<ControlPlane> {
  const cp = new ControlPlane({
    ...(options.configDir ? { configDir: options.configDir } : {}),
    ...(options.kubernetes ? { source: await kubeSource(options.kubernetes.kubeconfig) } : {}),
    stateDir: options.stateDir,
    xdsAddress: options.xds,
    caAddress: options.ca,
    adminAddress: options.admin,
    trustDomain: options.trustDomain,
    defaultMtls: options.defaultMtls,
    log,
  });
  await cp.start();
  return cp;
}

/** Loaded only when asked for: the Kubernetes client library is large. */
async function kubeSource(kubeconfig: string | undefined) {
  const kube = await import('@trellis/kube');
  return new kube.KubeSource({ kubeConfig: kube.kubeConfigFrom(kubeconfig) });
}

export async function runControlPlane(options: ControlPlaneCommand): Promise<void> {
  const cp = await startControlPlane(options);
  await untilStopped();
  await cp.stop();
}
