import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

// Runs the built command as a user would (`npm test` builds first).
const MAIN = path.resolve(__dirname, '../dist/main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });

test('demo --once shows a routed call, a weight change moving traffic and a NACK kept apart', () => {
  const { status, stdout, stderr } = run('demo', '--once', '--port', '0');
  expect(stderr).toBe('');
  expect(status).toBe(0);
  expect(stdout).toMatch(/10 calls to xds:\/\/\/greeter: greeter-v1 ×10/);
  expect(stdout).toMatch(/40 calls: greeter-v1 ×\d+, greeter-v2 ×\d+/);
  expect(stdout).toMatch(/CDS .*NACKED: .*unsupported lb_policy: MAGLEV/);
  expect(stdout).toMatch(/RDS .*SYNCED/);
});

test('an unknown command or bad option is a usage error (exit 2) that says what to do', () => {
  const unknown = run('deploy');
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toContain('trellis: unknown command "deploy"');
  expect(unknown.stderr).toContain('trellis help');
  const badPort = run('demo', '--port', 'abc');
  expect(badPort.status).toBe(2);
  expect(badPort.stderr).toContain('--port: "abc" is not a port number');
});

test('help lists the commands', () => {
  expect(run('help').stdout).toContain('demo');
});
