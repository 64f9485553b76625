// Where a redirected connection was going before iptables REDIRECTed it to the proxy:
// Linux keeps it in conntrack and answers getsockopt(SO_ORIGINAL_DST). Node has no API
// for it, so we call libc through koffi (prebuilt, no compiler needed).
import { createRequire } from 'node:module';
import type * as net from 'node:net';
import type * as Koffi from 'koffi' with { 'resolution-mode': 'import' };

const SOL_IP = 0;
const SOL_IPV6 = 41;
/** SO_ORIGINAL_DST and IP6T_SO_ORIGINAL_DST share the number 80. */
const SO_ORIGINAL_DST = 80;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCKADDR_IN6_SIZE = 28;

export interface OriginalDestination {
  address: string;
  port: number;
}

export class OriginalDestinationError extends Error {}

/** libc's getsockopt, and the errno it leaves, through koffi. */
interface Libc {
  getsockopt(fd: number, level: number, name: number, buf: Buffer, len: Buffer): number;
  errno(): number;
  ENOENT: number;
}
let libc: Libc | undefined;
// Reused by every call (JavaScript runs one call at a time): plain pointers cost half of koffi's _Out_/_Inout_ marshalling.
const address = Buffer.alloc(SOCKADDR_IN6_SIZE);
const addressLength = Buffer.alloc(4);

function loadLibc(): Libc {
  if (!libc) {
    if (process.platform !== 'linux') throw new OriginalDestinationError(`the original destination needs Linux (SO_ORIGINAL_DST), not ${process.platform}`);
    try {
      // Loaded on first use, not on import: koffi costs every proxy ~2.6 MB of RSS, and only
      // captured listeners need it. Its types are an ES module, its code loads as CommonJS.
      const koffi = createRequire(__filename)('koffi') as typeof Koffi;
      const getsockopt = koffi.load('libc.so.6').func('int getsockopt(int, int, int, void *buf, void *len)') as Libc['getsockopt'];
      libc = { getsockopt, errno: () => koffi.errno(), ENOENT: koffi.os.errno.ENOENT };
    } catch (e) {
      throw new OriginalDestinationError(`cannot call getsockopt through libc.so.6: ${(e as Error).message}`);
    }
  }
  return libc;
}

function decode(buf: Buffer): OriginalDestination {
  const family = buf.readUInt16LE(0);
  const port = buf.readUInt16BE(2);
  if (family === AF_INET) return { address: [...buf.subarray(4, 8)].join('.'), port };
  if (family === AF_INET6) {
    // Uncompressed (0:0:…:1): every consumer (connect, net.BlockList) takes it as it is.
    const groups = Array.from({ length: 8 }, (_, i) => buf.readUInt16BE(8 + i * 2).toString(16));
    return { address: groups.join(':'), port };
  }
  throw new OriginalDestinationError(`getsockopt(SO_ORIGINAL_DST) returned address family ${family}`);
}

/**
 * The destination a connection was addressed to before it was redirected to us. Throws
 * OriginalDestinationError when there is none (the connection was not redirected, or the
 * platform cannot tell), naming why.
 */
export function originalDestination(socket: net.Socket): OriginalDestination {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) throw new OriginalDestinationError('the socket has no file descriptor (closed, or not a TCP socket)');
  const { getsockopt, errno: lastErrno, ENOENT } = loadLibc();
  // An IPv6 socket may carry an IPv4 connection (v4-mapped): its conntrack entry is IPv4.
  const levels = socket.localFamily === 'IPv6' ? [SOL_IPV6, SOL_IP] : [SOL_IP];
  let errno = 0;
  for (const level of levels) {
    addressLength.writeUInt32LE(address.length, 0);
    if (getsockopt(fd, level, SO_ORIGINAL_DST, address, addressLength) === 0) return decode(address);
    errno = lastErrno();
  }
  const reason = errno === ENOENT ? 'the connection was not redirected (no NAT entry)' : `errno ${errno}`;
  throw new OriginalDestinationError(`no original destination for ${socket.localAddress}:${socket.localPort}: ${reason}`);
}
