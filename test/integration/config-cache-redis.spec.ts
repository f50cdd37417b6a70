import { openConfigStoreWorld } from '../support/config-store-world';
import { PrivateRedis } from '../support/redis-server';

describe('config cache on a shared Redis store', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
  });
  afterAll(() => redis?.stop());

  it('shares entries between two nodes and evicts for both', async () => {
    const nodeA = openConfigStoreWorld({ cacheStore: 'redis', cacheRedisUrl: redis.url });
    const nodeB = openConfigStoreWorld({ cacheStore: 'redis', cacheRedisUrl: redis.url });
    try {
      const entry = {
        logicId: 'flow',
        version: '3',
        origin: 'host' as const,
        fetchedAt: '2026-01-01T00:00:00.000Z',
        config: { id: 'flow', n: 1 },
      };
      await nodeA.cache.set('flow-@latest', entry);
      expect(await nodeB.cache.get('flow-@latest')).toMatchObject({ version: '3', config: { id: 'flow', n: 1 } });
      await nodeB.cache.remove(['flow-@latest']);
      expect(await nodeA.cache.get('flow-@latest')).toBeUndefined();
      expect(nodeA.cache.stats()).toMatchObject({ store: 'redis', entries: null, misses: 1 });
    } finally {
      await nodeA.close();
      await nodeB.close();
    }
  });

  it("needs no eviction bus: a publish's eviction on one node is a miss on the other's fast path at once", async () => {
    // The fast path (CachedReadFastPath) answers from ConfigStoreService.readCachedAnswer, which
    // reads the shared store on every request: no node keeps a copy of its own to evict.
    const nodeA = openConfigStoreWorld({ cacheStore: 'redis', cacheRedisUrl: redis.url });
    const nodeB = openConfigStoreWorld({ cacheStore: 'redis', cacheRedisUrl: redis.url });
    try {
      const entry = (logicId: string) => ({
        logicId,
        version: '3',
        origin: 'host' as const,
        fetchedAt: '2026-01-01T00:00:00.000Z',
        config: { id: logicId },
      });
      await nodeA.cache.set('pub-@latest', entry('pub'));
      await nodeA.cache.set('kept-@latest', entry('kept'));
      expect(await nodeB.service.readCachedAnswer('pub')).toMatchObject({ source: 'cache', version: '3' });
      await nodeA.cache.evictLogic('pub', ['3']); // what a publish on node A does
      expect(await nodeB.service.readCachedAnswer('pub')).toBeUndefined();
      expect(await nodeB.service.readCachedAnswer('kept')).toBeDefined();
      await nodeA.cache.clear(); // DELETE /api/v1/configs/cache on node A
      expect(await nodeB.service.readCachedAnswer('kept')).toBeUndefined();
    } finally {
      await nodeA.close();
      await nodeB.close();
    }
  });

  it('lets an entry expire after its TTL without access', async () => {
    const node = openConfigStoreWorld({ cacheStore: 'redis', cacheRedisUrl: redis.url, cacheTtlMs: 1000 });
    try {
      const entry = { logicId: 'ttl', version: null, origin: 'host' as const, fetchedAt: '', config: {} };
      await node.cache.set('ttl-@latest', entry);
      expect(await node.cache.get('ttl-@latest')).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 1300));
      expect(await node.cache.get('ttl-@latest')).toBeUndefined();
    } finally {
      await node.close();
    }
  });
});
