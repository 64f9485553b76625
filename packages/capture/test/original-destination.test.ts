import * as net from 'node:net';
import { OriginalDestinationError, originalDestination } from '@trellis/capture';

// The redirected case needs iptables in a network namespace: test/e2e/netns-capture.test.ts.
describe('originalDestination', () => {
  it('names why a connection that was not redirected has no original destination', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    const socket = await accepted;
    try {
      expect(() => originalDestination(socket)).toThrow(OriginalDestinationError);
      expect(() => originalDestination(socket)).toThrow(/not redirected/);
    } finally {
      client.destroy();
      socket.destroy();
      server.close();
    }
  });
});
