import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { createCache } from 'cache-manager';
import { EventBus } from '../../src/common/events/event-bus';
import { MetricsRegistry } from '../../src/common/metrics/metrics-registry';
import type { AppConfig, ConfigStoreConfig } from '../../src/config/app-config';
import { type CacheEvictionBus, LocalEvictionBus } from '../../src/config-store/cache/cache-eviction-bus';
import { ConfigCache } from '../../src/config-store/cache/config-cache';
import { createConfigCacheStore } from '../../src/config-store/cache/config-cache-store.factory';
import { ConfigStoreMetrics } from '../../src/config-store/config-store.metrics';
import { ConfigStoreService } from '../../src/config-store/config-store.service';
import { AtomicFileWriter } from '../../src/config-store/file/atomic-file-writer';
import { ConfigFileStore } from '../../src/config-store/file/config-file.store';
import { HostReachability } from '../../src/config-store/host-reachability';
import { HttpConfigHost } from '../../src/config-store/host/http-config-host';
import { FakeClock } from './fake-clock';

export const CONFIG_STORE_DEFAULTS: ConfigStoreConfig = {
  mode: 'online',
  hostUrl: 'http://127.0.0.1:9',
  hostTimeoutMs: 300,
  hostRetries: 2,
  breakerFailures: 3,
  breakerHalfOpenMs: 300,
  cacheTtlMs: 60_000,
  cacheMax: 100,
  cacheStore: 'memory',
};

export interface ConfigStoreWorld {
  dataDir: string;
  /** The store's metrics registry: tests read the counters the read path moved. */
  metrics: MetricsRegistry;
  service: ConfigStoreService;
  host: HttpConfigHost;
  files: ConfigFileStore;
  cache: ConfigCache;
  events: { name: string; payload: unknown }[];
  close(): Promise<void>;
}

/** The config store's real tiers, built by hand: memory cache, HTTP host, file store in a temp DATA_DIR. */
export function openConfigStoreWorld(
  overrides: Partial<ConfigStoreConfig>,
  evictions: CacheEvictionBus = new LocalEvictionBus(),
): ConfigStoreWorld {
  const dataDir = mkdtempSync(join(tmpdir(), 'logic-ha-configs-'));
  const configStore = { ...CONFIG_STORE_DEFAULTS, ...overrides };
  const appConfig = { dataDir, configStore } as unknown as AppConfig;
  const clock = new FakeClock(new Date('2026-06-01T12:00:00Z'));
  const emitter = new EventEmitter2();
  const events: ConfigStoreWorld['events'] = [];
  emitter.on('config.host-unreachable', (payload) => events.push({ name: 'config.host-unreachable', payload }));
  const bus = new EventBus(emitter);
  const cacheManager = createCache({ stores: [createConfigCacheStore(configStore)] });
  const cache = new ConfigCache(cacheManager, appConfig, bus, evictions);
  const host = new HttpConfigHost(configStore);
  const files = new ConfigFileStore(appConfig, new AtomicFileWriter(), clock);
  const reachability = new HostReachability(bus, clock);
  const metrics = new MetricsRegistry();
  const storeMetrics = new ConfigStoreMetrics(metrics, cache, host, reachability);
  const service = new ConfigStoreService(appConfig, cache, host, files, reachability, clock, storeMetrics);
  return {
    dataDir,
    metrics,
    service,
    host,
    files,
    cache,
    events,
    close: async () => {
      await host.onModuleDestroy();
      await evictions.close();
      await cacheManager.disconnect();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
