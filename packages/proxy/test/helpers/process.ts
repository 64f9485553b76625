// Run the real proxy binary (packages/proxy/dist/main.js) as a child process.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const MAIN = resolve(__dirname, '../../dist/main.js');

export interface ProxyProcess {
  child: ChildProcess;
  ports: Record<string, number>;
  admin?: number;
  configPath: string;
  stdout: string[];
  stderr: string[];
  /** Rewrite the config file and SIGHUP the process; resolves when it reports the reload. */
  reload(config: Record<string, unknown>): Promise<string>;
  stop(): Promise<number | null>;
}

export async function startProxy(config: Record<string, unknown>, opts: { adminPort?: number; accessLog?: boolean } = {}): Promise<ProxyProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npx tsc -b\` before the end-to-end tests`);
  const dir = mkdtempSync(join(tmpdir(), 'trellis-proxy-'));
  const configPath = join(dir, 'proxy.json');
  const write = (c: Record<string, unknown>): void =>
    writeFileSync(configPath, JSON.stringify({ adminPort: opts.adminPort, accessLog: opts.accessLog ?? false, drainTimeoutMs: 2000, config: c }));
  write(config);
  const child = spawn(process.execPath, [MAIN, '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.on('data', (d: Buffer) => stdout.push(...d.toString().split('\n').filter(Boolean)));
  const waitFor = (msg: string): Promise<Record<string, unknown>> =>
    new Promise((resolvePromise, reject) => {
      const onData = (d: Buffer): void => {
        for (const line of d.toString().split('\n').filter(Boolean)) {
          stderr.push(line);
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (parsed.msg === msg || (msg === 'config reloaded' && parsed.msg === 'config rejected')) {
            child.stderr?.removeListener('data', onData);
            resolvePromise(parsed);
          }
          if (parsed.msg === 'fatal') reject(new Error(String(parsed.error)));
        }
      };
      child.stderr?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`proxy exited with ${code}: ${stderr.join('\n')}`)));
    });
  const ready = await waitFor('trellis proxy ready');
  return {
    child,
    ports: ready.listeners as Record<string, number>,
    admin: ready.admin as number | undefined,
    configPath,
    stdout,
    stderr,
    async reload(c) {
      write(c);
      const done = waitFor('config reloaded');
      child.kill('SIGHUP');
      const r = await done;
      return r.msg === 'config reloaded' ? 'reloaded' : String(r.error);
    },
    stop() {
      return new Promise((res) => {
        if (child.exitCode !== null) return res(child.exitCode);
        child.once('exit', (code) => res(code));
        child.kill('SIGTERM');
      });
    },
  };
}
