import { Logger } from '@nestjs/common';
import type { Etcd3, Lease } from 'etcd3';
import type { ClusterNode } from '../leadership';
import { EtcdKeys } from './etcd-keys';
import type { LeaseKeeper, Renewal } from './lease-keeper';
import { NodeRegistry, PUBLISH_INTERVAL_MS } from './node-registry';

/** The etcd keyspace as the registry sees it: puts through a lease, one range read. */
class FakeEtcd {
  readonly entries = new Map<string, string>();
  puts = 0;
  reads = 0;
  failPuts = false;

  lease(): Lease {
    return {
      put: (key: string) => ({
        value: async (value: string) => {
          if (this.failPuts) throw new Error('deadline exceeded');
          this.puts++;
          this.entries.set(key, value);
        },
      }),
    } as unknown as Lease;
  }

  asClient(): Etcd3 {
    return {
      getAll: () => ({
        prefix: (prefix: string) => ({
          strings: async () => {
            this.reads++;
            return Object.fromEntries([...this.entries].filter(([key]) => key.startsWith(prefix)));
          },
        }),
      }),
    } as unknown as Etcd3;
  }
}

class FakeKeeper {
  current: Lease | undefined;
  private readonly listeners: ((renewal: Renewal) => void)[] = [];

  onRenewed(listener: (renewal: Renewal) => void): void {
    this.listeners.push(listener);
  }

  renewed(newLease = false): void {
    for (const listener of this.listeners) listener({ gapMs: 100, newLease, lapsed: false });
  }
}

/** Lets the registry's un-awaited work finish. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('NodeRegistry', () => {
  let etcd: FakeEtcd;
  let keeper: FakeKeeper;
  let now: number;
  let registry: NodeRegistry;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    etcd = new FakeEtcd();
    keeper = new FakeKeeper();
    keeper.current = etcd.lease();
    now = 1_000;
    registry = new NodeRegistry(
      etcd.asClient(),
      new EtcdKeys('/logic-ha'),
      keeper as unknown as LeaseKeeper,
      { nodeId: 'node-a', address: 'http://node-a:8080', version: '1.2.3' },
      () => now,
    );
  });

  function entry(): ClusterNode {
    return JSON.parse(etcd.entries.get('/logic-ha/nodes/node-a')!) as ClusterNode;
  }

  it('writes its entry at start, then at most once a minute, while reading the list at every renewal', async () => {
    registry.start();
    await settle();
    expect(etcd.puts).toBe(1);
    expect(entry()).toMatchObject({ nodeId: 'node-a', address: 'http://node-a:8080', version: '1.2.3' });
    expect(registry.lastKnown.map((node) => node.nodeId)).toEqual(['node-a']);

    // A renewal every 2.5 s (the default 10 s TTL / 4) for just under a minute: no write.
    for (let at = 2_500; at < PUBLISH_INTERVAL_MS; at += 2_500) {
      now = 1_000 + at;
      keeper.renewed();
      await settle();
    }
    expect(etcd.puts).toBe(1);
    expect(etcd.reads).toBeGreaterThan(20);

    now = 1_000 + PUBLISH_INTERVAL_MS;
    keeper.renewed();
    await settle();
    expect(etcd.puts).toBe(2);
  });

  it('writes at once with a new lease: the entry went with the old one', async () => {
    registry.start();
    await settle();
    etcd.entries.clear();
    keeper.current = etcd.lease();
    now += 5_000;
    keeper.renewed(true);
    await settle();
    expect(etcd.puts).toBe(2);
    expect(registry.lastKnown.map((node) => node.nodeId)).toEqual(['node-a']);
  });

  it('writes nothing without a lease, and retries a failed write at the next renewal', async () => {
    keeper.current = undefined;
    registry.start();
    await settle();
    expect(etcd.puts).toBe(0);

    keeper.current = etcd.lease();
    etcd.failPuts = true;
    keeper.renewed(true);
    await settle();
    expect(etcd.puts).toBe(0);

    etcd.failPuts = false;
    now += 2_500;
    keeper.renewed();
    await settle();
    expect(etcd.puts).toBe(1);
  });

  it('lists every node under the prefix, sorted, skipping what it cannot read', async () => {
    etcd.entries.set('/logic-ha/nodes/node-c', JSON.stringify({ nodeId: 'node-c', address: 'http://c' }));
    etcd.entries.set('/logic-ha/nodes/node-b', JSON.stringify({ nodeId: 'node-b', address: 'http://b' }));
    etcd.entries.set('/logic-ha/nodes/broken', '{');
    etcd.entries.set('/logic-ha/leader', JSON.stringify({ nodeId: 'node-b', address: 'http://b' }));
    expect((await registry.list()).map((node) => node.nodeId)).toEqual(['node-b', 'node-c']);
    expect(etcd.reads).toBe(1);
  });
});
