#!/usr/bin/env node
// Runnable proxy: `node dist/main.js --config <file.json>`. The file holds the config
// model (`config`), the admin port, and optionally identity file paths that are loaded
// into tlsCertificate / validationContext secrets. SIGHUP re-reads the file (cert
// rotation), SIGTERM drains and exits.
import { readFileSync } from 'node:fs';
import { Proxy } from './proxy';

interface IdentityFiles {
  certificateSecret: string;
  certChainPath: string;
  privateKeyPath: string;
  validationSecret: string;
  trustedCaPath: string;
}

interface ProcessConfig {
  adminPort?: number;
  accessLog?: boolean;
  drainTimeoutMs?: number;
  identity?: IdentityFiles;
  config: Record<string, unknown>;
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function load(path: string): ProcessConfig {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as ProcessConfig;
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.config !== 'object') {
    throw new Error(`${path}: expected {"config": {...}} at the top level`);
  }
  const id = parsed.identity;
  if (id) {
    const secrets = ((parsed.config.secrets as unknown[]) ?? []).filter(
      (s) => (s as { name?: string }).name !== id.certificateSecret && (s as { name?: string }).name !== id.validationSecret,
    );
    secrets.push(
      { name: id.certificateSecret, tlsCertificate: { certChainPem: readFileSync(id.certChainPath, 'utf8'), privateKeyPem: readFileSync(id.privateKeyPath, 'utf8') } },
      { name: id.validationSecret, validationContext: { trustedCaPem: readFileSync(id.trustedCaPath, 'utf8') } },
    );
    parsed.config.secrets = secrets;
  }
  return parsed;
}

function report(msg: string, extra: Record<string, unknown> = {}): void {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), msg, ...extra }) + '\n');
}

async function main(): Promise<void> {
  // A log reader that went away (EPIPE) would otherwise raise an uncaught error whose
  // handler logs again, spinning a core forever and ignoring SIGTERM: drop the lines instead.
  for (const out of [process.stdout, process.stderr]) out.on('error', () => undefined);
  const path = argValue('--config');
  if (!path) {
    process.stderr.write('usage: trellis-proxy --config <file.json>\n');
    process.exit(2);
  }
  const initial = load(path);
  const proxy = new Proxy({ adminPort: initial.adminPort, accessLog: initial.accessLog === false ? null : process.stdout });
  await proxy.applyConfig(initial.config);
  await proxy.start();
  const ports = Object.fromEntries(proxy.store.current.snapshot.listeners.map((l) => [l.name, proxy.listenerPort(l.name)]));
  report('trellis proxy ready', { listeners: ports, admin: proxy.adminPort, pid: process.pid });

  process.on('SIGHUP', () => {
    try {
      const view = load(path);
      proxy.applyConfig(view.config).then(
        (v) => report('config reloaded', { version: v.version }),
        (e: Error) => report('config rejected', { error: e.message }),
      );
    } catch (e) {
      report('config rejected', { error: (e as Error).message });
    }
  });
  // Last line of defence: a bug in one request's handling must not take every pod's traffic down.
  process.on('uncaughtException', (e) => {
    proxy.stats.inc('uncaught_errors_total');
    report('uncaught error (proxy keeps running)', { error: e.message, stack: e.stack });
  });
  const stop = (): void => {
    report('draining');
    proxy.drain(initial.drainTimeoutMs ?? 5_000).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: Error) => {
  report('fatal', { error: e.message });
  process.exit(1);
});
