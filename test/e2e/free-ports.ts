import * as net from 'node:net';

/**
 * Ports free at this moment on every interface, for servers that must be told a port up
 * front (grpc-js-xds's XdsServer needs a non-zero one, and binds all interfaces). Unlike
 * fixed ports, two runs of the same suite at once (a shared CI machine) do not collide.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, () => resolve(server));
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
