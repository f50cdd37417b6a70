import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { EventBus } from '../../common/events/event-bus';
import { AppConfig } from '../../config/app-config';
import type { ConfigMode, LogicConfig } from '../config-answer';

/** What the cache holds for one key. */
export interface CachedConfig {
  logicId: string;
  version: string | null;
  origin: 'host' | 'db' | 'file';
  fetchedAt: string;
  config: LogicConfig;
  /** When the entry's TTL was last renewed (ms since epoch). */
  renewedAt?: number;
}

/**
 * A hit renews the TTL only when the last renewal is older than this share of the TTL:
 * expiry drifts by at most 1% of the TTL, and a hot entry is not rewritten on every
 * read (on Redis, every renewal is a network write).
 */
const RENEW_AFTER_SHARE_OF_TTL = 0.01;

export interface ConfigCacheStats {
  store: 'memory' | 'redis';
  /** Entries held by this node's memory store; null for a shared Redis store. */
  entries: number | null;
  maxEntries: number;
  ttlMs: number;
  hits: number;
  misses: number;
}

/** Cache key part of a read without a version: not in the version alphabet, so no version collides. */
export const LATEST = '@latest';

/** The contract's key: `{logicId}-{version}`; offline mode uses the version `offline`. */
export function cacheKey(logicId: string, version: string | undefined, mode: ConfigMode): string {
  return mode === 'offline' ? `${logicId}-offline` : `${logicId}-${version ?? LATEST}`;
}

interface SizedStore {
  getStore?: () => { size: number };
}

/**
 * The cache tier over @nestjs/cache-manager: bounded by entry count (LRU), and
 * expire-after-access: a hit stores the entry again with a fresh TTL.
 */
@Injectable()
export class ConfigCache {
  private hits = 0;
  private misses = 0;

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly config: AppConfig,
    private readonly events: EventBus,
  ) {}

  /** `countMiss: false` for a look that a full read will follow on a miss (which counts it then). */
  async get(key: string, options: { countMiss?: boolean } = {}): Promise<CachedConfig | undefined> {
    const entry = await this.cache.get<CachedConfig>(key);
    if (entry === undefined) {
      if (options.countMiss !== false) this.misses++;
      return undefined;
    }
    this.hits++;
    const ttl = this.config.configStore.cacheTtlMs;
    if (Date.now() - (entry.renewedAt ?? 0) > ttl * RENEW_AFTER_SHARE_OF_TTL) await this.set(key, entry);
    return entry;
  }

  /** Stores the entry with a full TTL. The store keeps this very object (no clone), so it is renewed in place. */
  async set(key: string, entry: CachedConfig): Promise<void> {
    entry.renewedAt = Date.now();
    await this.cache.set(key, entry, this.config.configStore.cacheTtlMs);
  }

  async remove(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.cache.mdel(keys);
  }

  /** Evicts a logic's latest, offline and given versions' entries; emits `config.evicted`. */
  async evictLogic(logicId: string, versions: string[]): Promise<string[]> {
    const keys = [undefined, ...versions].map((version) => cacheKey(logicId, version, 'online'));
    keys.push(cacheKey(logicId, undefined, 'offline'));
    await this.remove(keys);
    this.events.emit('config.evicted', { logicId, keys });
    return keys;
  }

  /** Empties the whole cache; emits `config.evicted` without a logic. */
  async clear(): Promise<void> {
    await this.cache.clear();
    this.events.emit('config.evicted', { logicId: null, keys: [] });
  }

  stats(): ConfigCacheStats {
    const { cacheStore, cacheMax, cacheTtlMs } = this.config.configStore;
    const adapter = this.cache.stores[0]?.store as SizedStore | undefined;
    const entries = cacheStore === 'memory' && adapter?.getStore ? adapter.getStore().size : null;
    return {
      store: cacheStore,
      entries,
      maxEntries: cacheMax,
      ttlMs: cacheTtlMs,
      hits: this.hits,
      misses: this.misses,
    };
  }
}
