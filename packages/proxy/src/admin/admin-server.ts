// Admin endpoints on localhost: readiness, the current config (secrets redacted) and
// Prometheus stats. Never exposed on the pod IP: it can drain the proxy.
import * as http from 'node:http';
import { ConfigView } from '../config/store';
import { Snapshot } from '../config/model';

export interface AdminHandlers {
  ready(): boolean;
  view(): ConfigView;
  prometheus(): string;
  drain(): void;
}

export function redact(snapshot: Snapshot): unknown {
  return {
    ...snapshot,
    secrets: snapshot.secrets.map((s) => ({
      name: s.name,
      ...(s.tlsCertificate ? { tlsCertificate: { certChainPem: s.tlsCertificate.certChainPem, privateKeyPem: '[redacted]' } } : {}),
      ...(s.validationContext ? { validationContext: s.validationContext } : {}),
    })),
  };
}

export function createAdminServer(h: AdminHandlers): http.Server {
  return http.createServer((req, res) => {
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/ready') return h.ready() ? send(200, 'text/plain', 'LIVE\n') : send(503, 'text/plain', 'NOT READY\n');
    if (path === '/config_dump') {
      const view = h.view();
      return send(200, 'application/json', JSON.stringify({ version: view.version, ...(redact(view.snapshot) as object) }, null, 2));
    }
    if (path === '/stats/prometheus') return send(200, 'text/plain; version=0.0.4', h.prometheus());
    if (path === '/drain_listeners' && req.method === 'POST') {
      h.drain();
      return send(200, 'text/plain', 'draining\n');
    }
    send(404, 'text/plain', 'endpoints: /ready /config_dump /stats/prometheus POST /drain_listeners\n');
  });
}
