/** A local mesh for end-to-end tests: control plane in-process, apps in-process, real proxy processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControlPlane, type ControlPlaneOptions } from '@trellis/control-plane';

const CLI = path.resolve(__dirname, '../../packages/cli/dist/main.js');

export const service = (name: string, port: number, selector: Record<string, string> = { app: name }) =>
  `apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: shop }\nspec: { selector: ${JSON.stringify(selector)}, ports: [{ name: http, port: ${port} }] }\n`;

export const workload = (name: string, labels: Record<string, string>, sa: string, address: string, port: number, appPort: number) =>
  `apiVersion: networking.trellis.dev/v1alpha1\nkind: WorkloadEntry\nmetadata: { name: ${name}, namespace: shop, annotations: { sidecar.trellis.dev/app-ports: "http=${appPort}" } }\nspec: { address: ${address}, serviceAccount: ${sa}, labels: ${JSON.stringify(labels)}, ports: { http: ${port} } }\n`;

export async function until(probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class LocalMesh {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-e2e-'));
  readonly configDir = path.join(this.dir, 'config');
  cp!: ControlPlane;
  private readonly apps: http.Server[] = [];
  private readonly proxies: ChildProcess[] = [];

  constructor(files: Record<string, string>, private readonly options: Partial<ControlPlaneOptions> = {}) {
    fs.mkdirSync(this.configDir);
    for (const [name, text] of Object.entries(files)) this.write(name, text);
  }

  write(file: string, text: string): void {
    fs.writeFileSync(path.join(this.configDir, file), text);
  }

  remove(file: string): void {
    fs.rmSync(path.join(this.configDir, file));
  }

  async start(): Promise<void> {
    this.cp = new ControlPlane({ configDir: this.configDir, stateDir: path.join(this.dir, 'state'), xdsAddress: '127.0.0.1:0', caAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0', ...this.options });
    await this.cp.start();
  }

  /**
   * An app that answers with its name. Tests pick app ports below 32768, outside Linux's
   * ephemeral range, so no outgoing connection of the same run can already hold them.
   */
  app(name: string, port: number): Promise<void> {
    const server = http.createServer((_req, res) => res.end(name));
    this.apps.push(server);
    return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  }

  proxy(node: string, serviceAccount: string): void {
    this.proxies.push(spawn(process.execPath, [CLI, 'proxy', '--node', node, '--service-account', serviceAccount, '--bootstrap', this.cp.bootstrapFile, '--no-access-log'], { stdio: 'ignore' }));
  }

  synced(nodes: string[]): () => boolean {
    return () => {
      const status = this.cp.proxyStatus();
      return nodes.every((n) => status.some((s) => s.node === n && s.types.length >= 5 && s.types.every((t) => t.state === 'SYNCED')));
    };
  }

  async stop(): Promise<void> {
    for (const p of this.proxies) p.kill('SIGTERM');
    await Promise.all(this.proxies.map((p) => new Promise((r) => (p.exitCode !== null ? r(undefined) : p.once('exit', r)))));
    for (const a of this.apps) a.close();
    await this.cp?.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One request through a workload's outbound listener; the answer, or what went wrong. */
export function call(from: { address: string; outbound: number }, authority: string, agent: http.Agent | false = false): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request({ host: from.address, port: from.outbound, path: '/', headers: { host: authority }, agent }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 ? body : `HTTP ${res.statusCode} ${res.headers['x-trellis-response-flags'] ?? ''}`));
    });
    req.on('error', (e) => resolve(`error ${e.message}`));
    req.end();
  });
}

/** Steady traffic (two loops) to one service, recording who answered and when. */
export function load(from: { address: string; outbound: number }, authority: string) {
  const answers: { at: number; who: string }[] = [];
  let running = true;
  const loops = [0, 1].map(async () => {
    while (running) answers.push({ at: Date.now(), who: await call(from, authority) });
  });
  return {
    answers,
    /** Time from `since` to the first answer after which every answer matches `ok`. */
    settledAfter(since: number, ok: (who: string) => boolean): number | undefined {
      const after = answers.filter((a) => a.at >= since);
      const lastBad = after.map((a) => ok(a.who)).lastIndexOf(false);
      const settle = after[lastBad + 1];
      return settle ? settle.at - since : undefined;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
