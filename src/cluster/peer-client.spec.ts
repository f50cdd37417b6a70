import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PeerClient } from './peer-client';

describe('PeerClient', () => {
  let server: Server;
  let address: string;

  beforeAll(async () => {
    // A hung peer: it accepts the request and never answers.
    server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives up on a peer that does not answer at the timeout', async () => {
    const startedAt = Date.now();
    await expect(new PeerClient('token').call(address, '/api/v1/cluster/peer', { timeoutMs: 200 })).rejects.toThrow();
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });

  it('gives up at once when the caller’s signal aborts, well before the timeout', async () => {
    const caller = new AbortController();
    const startedAt = Date.now();
    setTimeout(() => caller.abort(new Error('the leader changed')), 100);
    await expect(
      new PeerClient('token').call(address, '/api/v1/failover/switchover', {
        method: 'POST',
        body: {},
        timeoutMs: 60_000,
        signal: caller.signal,
      }),
    ).rejects.toThrow();
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });
});
