import { ControlPlane } from '@trellis/control-plane';
import { logLine, untilStopped } from '../output';

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
  await untilStopped();
  await cp.stop();
}
