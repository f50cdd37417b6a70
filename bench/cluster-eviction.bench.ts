import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import type { Etcd3 } from 'etcd3';
import { createEtcdClient } from '../src/cluster/etcd/etcd-client.factory';
import { EtcdKeys } from '../src/cluster/etcd/etcd-keys';
import { BroadcastEvictionBus } from '../src/config-store/cache/broadcast-eviction-bus';
import { EtcdEvictionTransport } from '../src/config-store/cache/etcd-eviction.transport';
import { type ConfigStoreWorld, openConfigStoreWorld } from '../test/support/config-store-world';
import { EtcdCluster } from '../test/support/etcd';
import { percentiles } from './stats';

/**
 * Cross-node config cache eviction delay: `ConfigCache.evictLogic` on node A until the
 * eviction has been applied to the caches of nodes B and C (each node its own etcd client,
 * bus and memory cache, as three logic-ha processes have), against the bare tool: a put on
 * one etcd client until watchers on the two others see it. Both on the same private
 * single-member etcd, interleaved, in one run; one sample per receiving node.
 *
 * `npm run bench -- cluster-eviction`
 */
const EVICTIONS = Number(process.env.BENCH_EVICTIONS ?? 500);
const WARM_UP = 50;

interface Node {
  client: Etcd3;
  world: ConfigStoreWorld;
  bus: BroadcastEvictionBus;
  /** Resolves with performance.now() once an eviction of this logic has been applied here. */
  applied(logicId: string): Promise<number>;
}

async function openNode(id: string, endpoint: string, key: string): Promise<Node> {
  const client = createEtcdClient([endpoint], 2000);
  const bus = new BroadcastEvictionBus(new EtcdEvictionTransport(client, key), id);
  const world = openConfigStoreWorld({}, bus);
  const waiters = new Map<string | null, (at: number) => void>();
  world.cache.onApplicationBootstrap();
  // Subscribed after the cache: it runs once the cache has evicted.
  await bus.subscribe(async (eviction) => {
    const at = performance.now();
    waiters.get(eviction.logicId)?.(at);
    waiters.delete(eviction.logicId);
  });
  return {
    client,
    world,
    bus,
    applied: (logicId) => new Promise((resolve) => waiters.set(logicId, resolve)),
  };
}

/** Watchers on the bare key at B and C; resolves each value's arrival time. */
async function bareWatchers(clients: Etcd3[], key: string) {
  const waiters = clients.map(() => new Map<string, (at: number) => void>());
  await Promise.all(
    clients.map(async (client, i) => {
      const watcher = await client.watch().key(key).create();
      watcher.on('put', (kv) => {
        const at = performance.now();
        const value = kv.value.toString();
        waiters[i].get(value)?.(at);
        waiters[i].delete(value);
      });
    }),
  );
  return (value: string) => waiters.map((map) => new Promise<number>((resolve) => map.set(value, resolve)));
}

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  const etcd = await EtcdCluster.start({ members: 3 });
  const nodes: Node[] = [];
  try {
    const prefix = `/bench-${randomUUID()}`;
    const key = new EtcdKeys(prefix).cacheEvictions;
    for (const id of ['node-a', 'node-b', 'node-c']) nodes.push(await openNode(id, etcd.endpoints[0], key));
    const [a, b, c] = nodes;
    const bareKey = `${prefix}/bare`;
    const bareArrivals = await bareWatchers([b.client, c.client], bareKey);

    const viaBus: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < WARM_UP + EVICTIONS; i++) {
      const logicId = `l-${i}`;
      const evicted = [b.applied(logicId), c.applied(logicId)];
      const evictStarted = performance.now();
      await a.world.cache.evictLogic(logicId, []);
      const evictedAt = await Promise.all(evicted);

      const value = `v-${i}`;
      const seen = bareArrivals(value);
      const putStarted = performance.now();
      await a.client.put(bareKey).value(value).exec();
      const seenAt = await Promise.all(seen);

      if (i < WARM_UP) continue;
      viaBus.push(...evictedAt.map((at) => at - evictStarted));
      bare.push(...seenAt.map((at) => at - putStarted));
    }
    const bus = percentiles(viaBus);
    const baseline = percentiles(bare);
    console.log(
      JSON.stringify({
        bench: 'cluster-eviction-delay',
        evictions: EVICTIONS,
        receivers: 2,
        etcd: '3 members, loopback',
        evictionDelay: bus,
        bareEtcdPutToWatch: baseline,
        p50Ratio: Math.round((bus.p50Ms / baseline.p50Ms) * 100) / 100,
        p99Ratio: Math.round((bus.p99Ms / baseline.p99Ms) * 100) / 100,
      }),
    );
  } finally {
    for (const node of nodes) {
      await node.world.close();
      node.client.close();
    }
    await etcd.destroy();
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
