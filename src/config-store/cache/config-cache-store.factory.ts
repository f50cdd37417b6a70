import { createKeyv as createMemoryKeyv } from '@cacheable/memory';
import type * as KeyvRedisModule from '@keyv/redis';
import type { Keyv } from 'keyv';
import type { ConfigStoreConfig } from '../../config/app-config';

type KeyvRedis = typeof KeyvRedisModule;

/**
 * The Keyv store behind the config cache: an in-process LRU bounded by CONFIG_CACHE_MAX,
 * or a Redis store shared by every node (CONFIG_CACHE_STORE=redis).
 */
export function createConfigCacheStore(config: ConfigStoreConfig): Keyv {
  if (config.cacheStore === 'redis') {
    // Loaded only when chosen: most deployments never need the Redis client.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, which import() would make async
    const { createKeyv } = require('@keyv/redis') as KeyvRedis;
    return createKeyv(config.cacheRedisUrl, { namespace: 'logic-ha:configs' });
  }
  // useClone off: cached configs are never mutated, and cloning would cost every hit.
  return createMemoryKeyv({ ttl: config.cacheTtlMs, lruSize: config.cacheMax, useClone: false });
}
