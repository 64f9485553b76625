import { shortTypeName, type Snapshot, type StreamStatusView } from '@trellis/xds';

export type SyncState = 'SYNCED' | 'STALE' | 'NACKED' | 'NOT SENT';

export interface ProxyTypeStatus {
  type: string;
  state: SyncState;
  /** What the control plane wants the proxy to have. */
  desiredVersion: string;
  ackedVersion?: string;
  nack?: string;
}

export interface ProxyStatus {
  node: string;
  protocol: string;
  peer: string;
  connectedAt: string;
  types: ProxyTypeStatus[];
}

/** Istio's proxy-status: per connected proxy and type, is it on the version we want? */
export function proxyStatus(streams: StreamStatusView[], desired: (nodeId: string) => Snapshot | undefined, pushPending = false): ProxyStatus[] {
  return streams.map((stream) => {
    const snapshot = desired(stream.node.id);
    return {
      node: stream.node.id,
      protocol: stream.protocol,
      peer: stream.peer,
      connectedAt: stream.connectedAt.toISOString(),
      types: stream.types.map((t) => {
        const desiredVersion = snapshot?.version(t.typeUrl) ?? '';
        const nacked = t.lastNack !== undefined && t.lastNack.version === t.lastSentVersion;
        const state: SyncState = nacked ? 'NACKED' : t.lastSentVersion === undefined ? 'NOT SENT' : t.lastAckedVersion === desiredVersion && !pushPending ? 'SYNCED' : 'STALE';
        return {
          type: shortTypeName(t.typeUrl),
          state,
          desiredVersion,
          ...(t.lastAckedVersion === undefined ? {} : { ackedVersion: t.lastAckedVersion }),
          ...(nacked ? { nack: t.lastNack!.message } : {}),
        };
      }),
    };
  });
}

export function formatProxyStatus(statuses: ProxyStatus[]): string {
  const types = ['SDS', 'CDS', 'EDS', 'LDS', 'RDS'];
  const rows = statuses.map((s) => [s.node, ...types.map((type) => s.types.find((t) => t.type === type)?.state ?? '-')]);
  const header = ['PROXY', ...types];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const nacks = statuses.flatMap((s) => s.types.filter((t) => t.nack).map((t) => `  ${s.node} ${t.type} NACK: ${t.nack}`));
  return [line(header), ...rows.map(line), ...nacks].join('\n');
}
