import { isIP } from 'node:net';
import type { OperatorFactory } from './types';

interface Network {
  readonly bits: bigint;
  readonly mask: bigint;
  readonly v6: boolean;
}

function toBigInt(ip: string): { value: bigint; v6: boolean } | undefined {
  const kind = isIP(ip);
  if (kind === 4) {
    const parts = ip.split('.').map(Number);
    return { value: BigInt(((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!), v6: false };
  }
  if (kind === 6) {
    const [head, tail] = ip.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail ? tail.split(':') : [];
    const fill = tail !== undefined ? 8 - h.length - t.length : 0;
    const groups = [...h, ...Array(fill).fill('0'), ...t];
    let value = 0n;
    for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16) || 0);
    return { value, v6: true };
  }
  return undefined;
}

export function parseNetwork(spec: string): Network | undefined {
  const [addr, prefix] = spec.trim().split('/') as [string, string | undefined];
  const ip = toBigInt(addr);
  if (!ip) return undefined;
  const width = ip.v6 ? 128 : 32;
  const len = prefix === undefined ? width : Number(prefix);
  if (!(len >= 0 && len <= width)) return undefined;
  const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(width - len);
  return { bits: ip.value & mask, mask, v6: ip.v6 };
}

export function networksOperator(specs: string[]) {
  const networks = specs.map((s) => {
    const n = parseNetwork(s);
    if (!n) throw new Error(`invalid IP address or network "${s}"`);
    return n;
  });
  return (input: string): boolean => {
    const ip = toBigInt(input.trim());
    if (!ip) return false;
    return networks.some((n) => n.v6 === ip.v6 && (ip.value & n.mask) === n.bits);
  };
}

/** @ipMatch: comma-separated addresses and CIDR networks, IPv4 and IPv6. */
export const ipMatch: OperatorFactory = (argument) => networksOperator(argument.split(',').filter((s) => s.trim()));

/** @ipMatchFromFile: one address or network per line. */
export const ipMatchFromFile: OperatorFactory = (argument, load) =>
  networksOperator(
    load
      .readDataFile(argument.trim())
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#')),
  );
