import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { messageOf } from '../../common/errors/error-message';
import { EventBus } from '../../common/events/event-bus';
import { AppConfig } from '../../config/app-config';
import type { ConfigMode, LogicConfig } from '../config-answer';
import { CacheEviction, CacheEvictionBus, LocalEviction } from './cache-eviction-bus';

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

/** A logic's entries: latest, the given versions, offline. */
function logicKeys(logicId: string, versions: string[]): string[] {
  const keys = [undefined, ...versions].map((version) => cacheKey(logicId, version, 'online'));
  keys.push(cacheKey(logicId, undefined, 'offline'));
  return keys;
}

interface SizedStore {
  getStore?: () => { size: number };
}

/**
 * The cache tier over @nestjs/cache-manager: bounded by entry count (LRU), and
 * expire-after-access: a hit stores the entry again with a fresh TTL.
 *
 * Evictions (a publish, DELETE …/cache) go to the other nodes through the eviction bus,
 * and theirs come back through it; see `applyRemote` for why that never loops.
 */
@Injectable()
export class ConfigCache implements OnApplicationBootstrap {
  private readonly logger = new Logger('ConfigCache');
  private hits = 0;
  private misses = 0;

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly config: AppConfig,
    private readonly events: EventBus,
    private readonly bus: CacheEvictionBus,
  ) {}

  /** Not awaited: a node starts while etcd is out of reach, and its cache is empty until it serves anyway. */
  onApplicationBootstrap(): void {
    void this.bus.subscribe((eviction) => this.applyRemote(eviction));
  }

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

  /** Evicts a logic's latest, offline and given versions' entries, here and on every node; emits `config.evicted`. */
  async evictLogic(logicId: string, versions: string[]): Promise<string[]> {
    const keys = logicKeys(logicId, versions);
    await this.remove(keys);
    this.events.emit('config.evicted', { logicId, keys });
    await this.announce({ logicId, keys });
    return keys;
  }

  /** Empties the whole cache, here and on every node; emits `config.evicted` without a logic. */
  async clear(): Promise<void> {
    await this.cache.clear();
    this.events.emit('config.evicted', { logicId: null, keys: [] });
    await this.announce({ logicId: null });
  }

  /**
   * Applies an eviction another node made, to this node's cache alone: it is never announced
   * again, so an eviction crosses the cluster once and cannot loop. Emits `config.evicted`
   * with the origin.
   */
  async applyRemote(eviction: CacheEviction): Promise<void> {
    const { logicId, origin } = eviction;
    if (logicId === null) {
      await this.cache.clear();
      this.events.emit('config.evicted', { logicId: null, keys: [], origin });
      return;
    }
    const keys = eviction.keys ?? logicKeys(logicId, []);
    await this.remove(keys);
    this.events.emit('config.evicted', { logicId, keys, origin });
  }

  /**
   * Tells the other nodes. A failure (etcd out of reach) fails nothing: this node evicted
   * already, and the bus resends the eviction once etcd answers. Until then the other nodes
   * serve their entry; one that is read less often than CONFIG_CACHE_TTL_MS expires before.
   */
  private async announce(eviction: LocalEviction): Promise<void> {
    try {
      await this.bus.publish(eviction);
    } catch (error) {
      this.logger.warn({
        msg: 'could not tell the other nodes of a cache eviction: they keep their entries until they expire',
        via: this.bus.description,
        logicId: eviction.logicId,
        err: messageOf(error),
      });
    }
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
