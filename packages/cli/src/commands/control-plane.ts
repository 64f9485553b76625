import { ControlPlane } from '@trellis/control-plane';
import { logLine } from '../output';

export interface ControlPlaneCommand {
  configDir: string;
  stateDir: string;
  xds: string;
  ca: string;
  admin: string;
  trustDomain: string;
  defaultMtls: 'STRICT' | 'PERMISSIVE';
}

export async function startControlPlane(options: ControlPlaneCommand, log = logLine('control-plane')): Promise<ControlPlane> {
  const cp = new ControlPlane({
    configDir: options.configDir,
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

export async function runControlPlane(options: ControlPlaneCommand): Promise<void> {
  const cp = await startControlPlane(options);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await cp.stop();
}
