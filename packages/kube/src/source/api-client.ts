import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

const REQUEST_TIMEOUT_MS = 60_000;

/** An API server refusal, with the status code callers react to (404 absent, 409 conflict, 410 relist). */
export class ApiError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Verb = 'GET' | 'POST' | 'PUT' | 'PATCH';

/** What a write sends: a whole object (POST, PUT) or an RFC 6902 patch (PATCH). */
export interface RequestBody {
  json: unknown;
  contentType?: 'application/json' | 'application/json-patch+json';
}

/**
 * One API request as raw JSON, authenticated and TLS-configured by the kubeconfig exactly as
 * client-node's Watch is. Raw because the decoders read the wire format (the generated
 * clients turn timestamps into Dates, which watch events never carry). Any 2xx is success.
 */
export async function requestJson(kubeConfig: KubeConfig, verb: Verb, path: string, body?: RequestBody): Promise<unknown> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server + path);
  const init = await kubeConfig.applyToFetchOptions({});
  const headers: Record<string, string> = { accept: 'application/json' };
  (init.headers as Headers | undefined)?.forEach((value, key) => { headers[key] = value; });
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body.json));
  if (payload) Object.assign(headers, { 'content-type': body!.contentType ?? 'application/json', 'content-length': String(payload.length) });
  const what = `${verb} ${path}`;
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, { method: verb, headers, agent: init.agent as http.Agent | undefined }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = response.statusCode ?? 0;
        if (status < 200 || status > 299) {
          let reason = response.statusMessage ?? '';
          try { reason = (JSON.parse(text) as { message?: string }).message ?? reason; } catch { /* not a Status object */ }
          reject(new ApiError(status, `${what}: ${status} ${reason}`));
          return;
        }
        try { resolve(JSON.parse(text)); } catch (error) { reject(new Error(`${what}: the response is not JSON: ${(error as Error).message}`)); }
      });
    });
    request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error(`${what}: no response in ${REQUEST_TIMEOUT_MS / 1000} s`)));
    request.on('error', reject);
    request.end(payload);
  });
}

export function getJson(kubeConfig: KubeConfig, path: string): Promise<unknown> {
  return requestJson(kubeConfig, 'GET', path);
}
