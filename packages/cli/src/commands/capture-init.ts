import { isIPv4, isIPv6 } from 'node:net';
import { parseArgs } from 'node:util';
import { DEFAULT_CAPTURE, applyCapture, captureRules, removeCapture, type CaptureOptions, type IpFamily } from '@trellis/capture';

export const CAPTURE_INIT_HELP = `  capture-init     Install the pod's traffic capture (nat rules, like istio-init), as root in the pod's
                   network namespace; re-running replaces the rules.
                     --proxy-uid 1337  --proxy-gid <uid>  --inbound-port 15006  --outbound-port 15001
                     --exclude-inbound-ports a,b  --exclude-outbound-ports a,b
                     --include-outbound-cidrs c,d (default: all)  --exclude-outbound-cidrs c,d
                     --ipv6 (IPv6 too)  --dry-run (print the rules)  --cleanup (remove them)
`;

/** A bad option value: `trellis` reports it as a usage error (exit 2), as it does parseArgs' own. */
class OptionValueError extends Error {
  readonly code = 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
}

function ports(flag: string, value: string | undefined): number[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const port = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new OptionValueError(`${flag}: "${s}" is not a port number`);
    return port;
  });
}

function cidrs(flag: string, value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const [address = '', prefix, ...extra] = s.split('/');
    const bits = isIPv4(address) ? 32 : isIPv6(address) ? 128 : 0;
    const length = prefix === undefined ? bits : /^\d+$/.test(prefix) ? Number(prefix) : NaN;
    if (bits === 0 || extra.length > 0 || !(length <= bits)) throw new OptionValueError(`${flag}: "${s}" is not an address or CIDR`);
    return `${address}/${length}`;
  });
}

function id(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new OptionValueError(`${flag}: "${value}" is not a user or group id`);
  return n;
}

/** `trellis capture-init`: returns what to print. */
export function runCaptureInit(args: string[]): string {
  const { values } = parseArgs({
    args,
    options: {
      'proxy-uid': { type: 'string', default: String(DEFAULT_CAPTURE.proxyUid) }, 'proxy-gid': { type: 'string' },
      'inbound-port': { type: 'string', default: String(DEFAULT_CAPTURE.inboundPort) }, 'outbound-port': { type: 'string', default: String(DEFAULT_CAPTURE.outboundPort) },
      'exclude-inbound-ports': { type: 'string' }, 'exclude-outbound-ports': { type: 'string' },
      'include-outbound-cidrs': { type: 'string' }, 'exclude-outbound-cidrs': { type: 'string' },
      ipv6: { type: 'boolean', default: false }, 'dry-run': { type: 'boolean', default: false }, cleanup: { type: 'boolean', default: false },
    },
  });
  const families: IpFamily[] = values.ipv6 ? [4, 6] : [4];
  if (values.cleanup) {
    if (!values['dry-run']) removeCapture(families);
    return values['dry-run'] ? 'would remove the capture rules\n' : 'capture rules removed\n';
  }
  const proxyUid = id('--proxy-uid', values['proxy-uid']!);
  const options: CaptureOptions = {
    proxyUid,
    proxyGid: values['proxy-gid'] === undefined ? proxyUid : id('--proxy-gid', values['proxy-gid']),
    inboundPort: ports('--inbound-port', values['inbound-port'])[0] ?? DEFAULT_CAPTURE.inboundPort,
    outboundPort: ports('--outbound-port', values['outbound-port'])[0] ?? DEFAULT_CAPTURE.outboundPort,
    excludeInboundPorts: ports('--exclude-inbound-ports', values['exclude-inbound-ports']),
    excludeOutboundPorts: ports('--exclude-outbound-ports', values['exclude-outbound-ports']),
    includeOutboundCidrs: cidrs('--include-outbound-cidrs', values['include-outbound-cidrs']),
    excludeOutboundCidrs: cidrs('--exclude-outbound-cidrs', values['exclude-outbound-cidrs']),
  };
  if (values['dry-run']) return families.map((f) => captureRules(options, f)).join('');
  applyCapture(options, families);
  return `capture rules installed: inbound → ${options.inboundPort}, outbound → ${options.outboundPort}, UID ${options.proxyUid} / GID ${options.proxyGid} exempt\n`;
}
