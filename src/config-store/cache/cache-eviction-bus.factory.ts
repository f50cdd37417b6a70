import type { FactoryProvider } from '@nestjs/common';
import { EtcdCluster } from '../../cluster';
import { AppConfig, type ConfigStoreConfig } from '../../config/app-config';
import { BroadcastEvictionBus } from './broadcast-eviction-bus';
import { CacheEvictionBus, LocalEvictionBus } from './cache-eviction-bus';
import { EtcdEvictionTransport } from './etcd-eviction.transport';

/**
 * Which bus carries this node's evictions to the others:
 * - the Redis store: none. Every node reads and evicts the same entries, and no node keeps
 *   a copy of its own (the fast path reads through the same cache), so an eviction on one
 *   node already is one on every node;
 * - the memory store in cluster mode: the etcd key reserved for it;
 * - single-node mode: none.
 */
export function createCacheEvictionBus(config: ConfigStoreConfig, etcd: EtcdCluster | undefined): CacheEvictionBus {
  if (config.cacheStore === 'redis') return new LocalEvictionBus('the shared Redis store (nothing per node)');
  if (!etcd) return new LocalEvictionBus();
  return new BroadcastEvictionBus(new EtcdEvictionTransport(etcd.client, etcd.keys.cacheEvictions), etcd.config.nodeId);
}

/** The module's provider: EtcdCluster is there in cluster mode only (ClusterModule is global). */
export const cacheEvictionBusProvider: FactoryProvider<CacheEvictionBus> = {
  provide: CacheEvictionBus,
  inject: [AppConfig, { token: EtcdCluster, optional: true }],
  useFactory: (config: AppConfig, etcd: EtcdCluster | undefined) => createCacheEvictionBus(config.configStore, etcd),
};
