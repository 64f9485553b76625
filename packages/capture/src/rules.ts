// The nat-table rules that steer a pod's TCP through its proxy, the way istio-init does:
// inbound TCP to the proxy's inbound port, outbound TCP to its outbound port, except the
// proxy's own traffic (by UID/GID), loopback, and the ports and CIDRs an operator excludes.
// Pure functions from options to `iptables-restore` input, so the rule set is unit-tested
// without root and applied in one atomic transaction.

export interface CaptureOptions {
  /** The proxy runs as this UID (and GID): its own connections are never captured. */
  proxyUid: number;
  proxyGid: number;
  inboundPort: number;
  outboundPort: number;
  /** Inbound destination ports left alone (the proxy's own admin/health ports, SSH, …). */
  excludeInboundPorts: number[];
  excludeOutboundPorts: number[];
  /** Outbound destinations captured; empty = every destination. */
  includeOutboundCidrs: string[];
  excludeOutboundCidrs: string[];
}

export const DEFAULT_CAPTURE: CaptureOptions = {
  proxyUid: 1337,
  proxyGid: 1337,
  inboundPort: 15006,
  outboundPort: 15001,
  excludeInboundPorts: [],
  excludeOutboundPorts: [],
  includeOutboundCidrs: [],
  excludeOutboundCidrs: [],
};

export type IpFamily = 4 | 6;

/** Our chains, and the built-in chain each hangs from (none: reached only from our chains). */
export const CHAINS = {
  inbound: 'TRELLIS_INBOUND',
  inboundRedirect: 'TRELLIS_IN_REDIRECT',
  output: 'TRELLIS_OUTPUT',
  outboundRedirect: 'TRELLIS_REDIRECT',
} as const;

const JUMPS = [
  { from: 'PREROUTING', to: CHAINS.inbound },
  { from: 'OUTPUT', to: CHAINS.output },
];

const isV6 = (cidr: string) => cidr.includes(':');

/**
 * The rule set for one address family, as `iptables-restore --noflush` input. Declaring our
 * chains flushes them; `saved` (the table's `iptables-save -t nat` text) names jumps of an
 * earlier run to delete first, so applying twice leaves one copy.
 */
export function captureRules(options: CaptureOptions, family: IpFamily = 4, saved = ''): string {
  const o = options;
  const loopback = family === 4 ? '127.0.0.1/32' : '::1/128';
  const ofFamily = (cidrs: string[]) => cidrs.filter((c) => isV6(c) === (family === 6));
  const owners = [`--uid-owner ${o.proxyUid}`, `--gid-owner ${o.proxyGid}`];
  const lines = [
    '*nat',
    ...Object.values(CHAINS).map((chain) => `:${chain} - [0:0]`),
    ...existingJumps(saved).map((rule) => `-D${rule.slice(2)}`),
    ...JUMPS.map((j) => `-A ${j.from} -p tcp -j ${j.to}`),
    `-A ${CHAINS.inboundRedirect} -p tcp -j REDIRECT --to-ports ${o.inboundPort}`,
    `-A ${CHAINS.outboundRedirect} -p tcp -j REDIRECT --to-ports ${o.outboundPort}`,
    // Inbound: everything to the pod except the excluded ports (which reach their listener directly).
    ...o.excludeInboundPorts.map((port) => `-A ${CHAINS.inbound} -p tcp --dport ${port} -j RETURN`),
    `-A ${CHAINS.inbound} -p tcp -j ${CHAINS.inboundRedirect}`,
    // The proxy calling its own pod IP (over lo, not 127.0.0.1) goes through its inbound side, as
    // a call from another pod would; an app calling its own pod IP reaches itself directly (Istio's choice).
    ...owners.flatMap((owner) => [
      `-A ${CHAINS.output} -o lo ! -d ${loopback} -p tcp -m owner ${owner} -j ${CHAINS.inboundRedirect}`,
      `-A ${CHAINS.output} -o lo -m owner ! ${owner} -j RETURN`,
      `-A ${CHAINS.output} -m owner ${owner} -j RETURN`,
    ]),
    `-A ${CHAINS.output} -d ${loopback} -j RETURN`,
    ...o.excludeOutboundPorts.map((port) => `-A ${CHAINS.output} -p tcp --dport ${port} -j RETURN`),
    ...ofFamily(o.excludeOutboundCidrs).map((cidr) => `-A ${CHAINS.output} -d ${cidr} -j RETURN`),
    ...(o.includeOutboundCidrs.length === 0
      ? [`-A ${CHAINS.output} -j ${CHAINS.outboundRedirect}`]
      : ofFamily(o.includeOutboundCidrs).map((cidr) => `-A ${CHAINS.output} -d ${cidr} -j ${CHAINS.outboundRedirect}`)),
    'COMMIT',
  ];
  return lines.join('\n') + '\n';
}

function existingJumps(saved: string): string[] {
  return saved.split('\n').filter((l) => JUMPS.some((j) => l.startsWith(`-A ${j.from} `) && l.endsWith(`-j ${j.to}`)));
}

/**
 * What removes our rules from a nat table, given its `iptables-save -t nat` text: the jumps
 * from the built-in chains (every copy), then our chains. Undefined when nothing is ours.
 */
export function cleanupRules(saved: string): string | undefined {
  const ours = new Set<string>(Object.values(CHAINS));
  const present = saved.split('\n').map((l) => /^:(\S+) /.exec(l)?.[1]).filter((c): c is string => c !== undefined && ours.has(c));
  const jumps = existingJumps(saved);
  if (present.length === 0 && jumps.length === 0) return undefined;
  return [
    '*nat',
    ...jumps.map((rule) => `-D${rule.slice(2)}`),
    ...present.map((chain) => `-F ${chain}`),
    ...present.map((chain) => `-X ${chain}`),
    'COMMIT',
  ].join('\n') + '\n';
}
