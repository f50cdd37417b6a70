import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import type { Etcd3 } from 'etcd3';
import { percentiles } from '../../bench/stats';
import { createEtcdClient } from '../../src/cluster/etcd/etcd-client.factory';
import { EtcdKeys } from '../../src/cluster/etcd/etcd-keys';
import { BroadcastEvictionBus } from '../../src/config-store/cache/broadcast-eviction-bus';
import type { CacheEviction } from '../../src/config-store/cache/cache-eviction-bus';
import type { CachedConfig } from '../../src/config-store/cache/config-cache';
import { EtcdEvictionTransport } from '../../src/config-store/cache/etcd-eviction.transport';
import { type ConfigStoreWorld, openConfigStoreWorld } from '../support/config-store-world';
import { EtcdCluster } from '../support/etcd';
import { TcpProxy } from '../support/tcp-proxy';

/** What a node's config cache holds before each scenario. */
const entry = (logicId: string): CachedConfig => ({
  logicId,
  version: '3',
  origin: 'host',
  fetchedAt: '2026-01-01T00:00:00.000Z',
  config: { id: logicId },
});

/** One "node": its own etcd client, eviction bus and memory cache, as a logic-ha process has. */
class TestNode {
  readonly client: Etcd3;
  readonly bus: BroadcastEvictionBus;
  readonly world: ConfigStoreWorld;
  /** Every eviction another node made, as this node's bus handed it over (after the cache applied it). */
  readonly seen: CacheEviction[] = [];
  private readonly waiters = new Map<string | null, (at: number) => void>();

  constructor(
    readonly id: string,
    endpoint: string,
    key: string,
  ) {
    // The production client: call deadlines, one retry, a breaker.
    this.client = createEtcdClient([endpoint], 1000);
    this.bus = new BroadcastEvictionBus(new EtcdEvictionTransport(this.client, key), id, {
      firstDelayMs: 200,
      maxDelayMs: 1000,
    });
    this.world = openConfigStoreWorld({}, this.bus);
  }

  /** Subscribes the cache as the module does, then a recorder: it runs after the cache applied an eviction. */
  async start(): Promise<void> {
    this.world.cache.onApplicationBootstrap();
    await this.bus.subscribe(async (eviction) => {
      const at = performance.now();
      this.seen.push(eviction);
      this.waiters.get(eviction.logicId)?.(at);
      this.waiters.delete(eviction.logicId);
    });
  }

  /** Resolves with performance.now() when an eviction of `logicId` (null: a clear) has been applied here. */
  applied(logicId: string | null): Promise<number> {
    return new Promise((resolve) => this.waiters.set(logicId, resolve));
  }

  async close(): Promise<void> {
    await this.world.close();
    this.client.close();
  }
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function putCount(client: Etcd3, key: string): Promise<number> {
  const kv = (await client.get(key).exec()).kvs[0];
  return kv ? Number(kv.version) : 0;
}

describe('config cache evictions across three nodes through a private etcd', () => {
  let etcd: EtcdCluster;
  /** C reaches etcd through a proxy a test can cut (a partition). */
  let proxy: TcpProxy;
  let key: string;
  let a: TestNode;
  let b: TestNode;
  let c: TestNode;

  beforeAll(async () => {
    // The bus logs resends and missed evictions; the assertions check what they did instead.
    Logger.overrideLogger(false);
    etcd = await EtcdCluster.start({ members: 1 });
    proxy = await TcpProxy.start(etcd.member(0).clientPort);
    key = new EtcdKeys(`/test-${randomUUID()}`).cacheEvictions;
    a = new TestNode('node-a', etcd.endpoints[0], key);
    b = new TestNode('node-b', etcd.endpoints[0], key);
    c = new TestNode('node-c', `http://127.0.0.1:${proxy.port}`, key);
    await Promise.all([a, b, c].map((node) => within(node.start(), 10_000, `${node.id} watching`)));
  }, 30_000);

  afterAll(async () => {
    for (const node of [a, b, c]) await node?.close();
    await proxy?.stop();
    await etcd?.destroy();
  });

  beforeEach(async () => {
    for (const node of [a, b, c]) {
      await node.world.cache.set('flow-@latest', entry('flow'));
      await node.world.cache.set('other-@latest', entry('other'));
    }
  });

  it("a publish's eviction on A evicts the entry on B and C, once, and A's own handler never runs", async () => {
    const putsBefore = await putCount(a.client, key);
    const [onB, onC] = [b.applied('flow'), c.applied('flow')];
    const keys = await a.world.cache.evictLogic('flow', ['3']);
    await within(Promise.all([onB, onC]), 5000, 'eviction on B and C');
    // Time for any echo to show: a node applying an eviction must not put another one.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const node of [a, b, c]) {
      expect(await node.world.cache.get('flow-@latest')).toBeUndefined();
      expect(await node.world.cache.get('other-@latest')).toBeDefined();
    }
    expect(a.seen).toEqual([]);
    for (const node of [b, c])
      expect(node.seen).toEqual([{ origin: 'node-a', logicId: 'flow', keys, at: expect.any(String) }]);
    expect((await putCount(a.client, key)) - putsBefore).toBe(1);
  });

  it('measures the delay from an eviction on A to its application on B and C (~200 evictions)', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 200; i++) {
      const logicId = `m-${i}`;
      const [onB, onC] = [b.applied(logicId), c.applied(logicId)];
      const started = performance.now();
      await a.world.cache.evictLogic(logicId, []);
      const [atB, atC] = await within(Promise.all([onB, onC]), 5000, `eviction ${i}`);
      samples.push(atB - started, atC - started);
    }
    const delay = percentiles(samples);
    console.log(JSON.stringify({ test: 'cache-coherence', evictionDelayThroughEtcd: delay }));
    expect(a.seen.filter((eviction) => eviction.logicId?.startsWith('m-'))).toEqual([]);
    // Speed is measured in bench/cluster-eviction.bench.ts; here every eviction must arrive, on both nodes.
    expect(samples).toHaveLength(400);
  }, 60_000);

  it('etcd down: the eviction is local at once, the request does not fail, and the others get it when etcd is back', async () => {
    await etcd.member(0).kill();
    await expect(a.world.cache.evictLogic('flow', [])).resolves.toEqual(['flow-@latest', 'flow-offline']);
    expect(await a.world.cache.get('flow-@latest')).toBeUndefined();
    expect(await b.world.cache.get('flow-@latest')).toBeDefined();
    expect(a.bus.unsentCount).toBe(1);

    const [onB, onC] = [b.applied('flow'), c.applied('flow')];
    await etcd.member(0).start();
    await within(Promise.all([onB, onC]), 20_000, 'resent eviction on B and C');
    expect(a.bus.unsentCount).toBe(0);
    for (const node of [b, c]) {
      expect(await node.world.cache.get('flow-@latest')).toBeUndefined();
      expect(await node.world.cache.get('other-@latest')).toBeDefined();
    }
  }, 40_000);

  it('a node cut off from etcd (a partition): its eviction is local, the request does not fail, and it reaches the others once healed', async () => {
    proxy.cut();
    // A hung etcd does not hold the request: the call deadlines end the send, which is kept for later.
    await expect(c.world.cache.evictLogic('flow', [])).resolves.toHaveLength(2);
    expect(c.bus.unsentCount).toBe(1);
    expect(await c.world.cache.get('flow-@latest')).toBeUndefined();
    expect(await a.world.cache.get('flow-@latest')).toBeDefined();

    const [onA, onB] = [a.applied('flow'), b.applied('flow')];
    proxy.heal();
    await within(Promise.all([onA, onB]), 20_000, 'resent eviction on A and B');
    // The others may hear of the put before C gets etcd's answer to it.
    await within(
      until(() => c.bus.unsentCount === 0),
      5000,
      'C done resending',
    );
  }, 40_000);

  it('a node cut off while etcd compacted the evictions it missed clears its whole cache when it is back', async () => {
    proxy.cut();
    // Two evictions: compacting at the second's revision drops the first (etcd keeps the revision compacted at).
    const onB = b.applied('other');
    await a.world.cache.evictLogic('flow', []);
    await a.world.cache.evictLogic('other', []);
    await within(onB, 5000, 'evictions on B');
    const revision = (await a.client.get(key).exec()).header.revision;
    await a.client.kv.compact({ revision, physical: true });
    for (const node of [a, b, c]) await node.world.cache.set('other-@latest', entry('other'));
    expect(await c.world.cache.get('flow-@latest')).toBeDefined();

    const cleared = c.applied(null);
    proxy.heal();
    await within(cleared, 20_000, 'C told it missed evictions');
    expect(c.seen.at(-1)).toMatchObject({ origin: `etcd key ${key}`, logicId: null });
    expect(await c.world.cache.get('flow-@latest')).toBeUndefined();
    expect(await c.world.cache.get('other-@latest')).toBeUndefined();

    // C watches again from now (its new watch connects in the background): evictions reach it as before.
    const onC = c.applied('again');
    let applied = false;
    void onC.then(() => (applied = true));
    for (let attempt = 0; attempt < 30 && !applied; attempt++) {
      await a.world.cache.evictLogic('again', []);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await within(onC, 1000, 'eviction on C after the clear');
  }, 80_000);
});
