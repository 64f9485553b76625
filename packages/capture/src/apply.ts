import { execFileSync } from 'node:child_process';
import { captureRules, cleanupRules, type CaptureOptions, type IpFamily } from './rules';

const TOOLS: Record<IpFamily, { save: string; restore: string }> = {
  4: { save: 'iptables-save', restore: 'iptables-restore' },
  6: { save: 'ip6tables-save', restore: 'ip6tables-restore' },
};

function savedNat(family: IpFamily): string {
  return execFileSync(TOOLS[family].save, ['-t', 'nat'], { encoding: 'utf8' });
}

function restore(family: IpFamily, input: string): void {
  // --noflush: other nat rules (Docker's, CNI's) stay as they are; only ours change.
  execFileSync(TOOLS[family].restore, ['--noflush'], { input, stdio: ['pipe', 'inherit', 'inherit'] });
}

/** Install the capture rules (replacing an earlier run's) in the current network namespace. */
export function applyCapture(options: CaptureOptions, families: IpFamily[] = [4]): void {
  for (const family of families) restore(family, captureRules(options, family, savedNat(family)));
}

/** Remove every capture rule of ours; a no-op when there are none. */
export function removeCapture(families: IpFamily[] = [4]): void {
  for (const family of families) {
    const cleanup = cleanupRules(savedNat(family));
    if (cleanup) restore(family, cleanup);
  }
}
