// node:http2 adds about 11 MB to a proxy's resident memory once loaded, and a proxy that
// only ever sees HTTP/1.1 never needs it: it is loaded when the first HTTP/2 connection
// (downstream or upstream) appears.
import type * as Http2 from 'node:http2';

let loaded: typeof Http2 | undefined;

export function http2Module(): typeof Http2 {
  return (loaded ??= process.getBuiltinModule('node:http2'));
}

export function http2Constants(): typeof Http2.constants {
  return http2Module().constants;
}
