import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

// The built command, as an init container runs it; applying rules needs root in a network
// namespace: test/e2e/netns-capture.test.ts does that.
const MAIN = path.resolve(__dirname, '../dist/main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, 'capture-init', ...args], { encoding: 'utf8', timeout: 30_000 });

test('--dry-run prints the rules the options ask for, IPv6 too with --ipv6', () => {
  const { status, stdout, stderr } = run('--dry-run', '--proxy-uid', '2000', '--inbound-port', '15106', '--exclude-inbound-ports', '22,15020',
    '--exclude-outbound-cidrs', '10.96.0.1,fd00::/8', '--include-outbound-cidrs', '10.0.0.0/8', '--ipv6');
  expect([status, stderr]).toEqual([0, '']);
  expect(stdout).toContain('-A TRELLIS_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15106\n');
  expect(stdout).toContain('-A TRELLIS_INBOUND -p tcp --dport 15020 -j RETURN\n');
  expect(stdout).toContain('-A TRELLIS_OUTPUT -m owner --uid-owner 2000 -j RETURN\n');
  expect(stdout).toContain('-A TRELLIS_OUTPUT -m owner --gid-owner 2000 -j RETURN\n');
  expect(stdout).toContain('-A TRELLIS_OUTPUT -d 10.96.0.1/32 -j RETURN\n');
  expect(stdout).toContain('-A TRELLIS_OUTPUT -d 10.0.0.0/8 -j TRELLIS_REDIRECT\n');
  expect(stdout).toContain('-A TRELLIS_OUTPUT -d fd00::/8 -j RETURN\n');
  expect(stdout.match(/^\*nat$/gm)).toHaveLength(2);
});

test('a bad value is a usage error naming the option', () => {
  const cidr = run('--dry-run', '--exclude-outbound-cidrs', '10.0.0.0/33');
  expect(cidr.status).toBe(2);
  expect(cidr.stderr).toContain('--exclude-outbound-cidrs: "10.0.0.0/33" is not an address or CIDR');
  // An empty prefix is not /0 (which would exclude everything).
  expect(run('--dry-run', '--exclude-outbound-cidrs', '10.0.0.0/').stderr).toContain('"10.0.0.0/" is not an address or CIDR');
  expect(run('--dry-run', '--exclude-outbound-cidrs', '10.0.0.0/8/9').stderr).toContain('"10.0.0.0/8/9" is not an address or CIDR');
  const port = run('--dry-run', '--exclude-inbound-ports', '22,http');
  expect(port.status).toBe(2);
  expect(port.stderr).toContain('--exclude-inbound-ports: "http" is not a port number');
});
