import { Logger, type Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { createCache } from 'cache-manager';
import type { Etcd3 } from 'etcd3';
import { EventBus } from '../../common/events/event-bus';
import { EtcdCluster } from '../../cluster';
import { AppConfig, type ConfigStoreConfig } from '../../config/app-config';
import { BroadcastEvictionBus, type EvictionTransport } from './broadcast-eviction-bus';
import { type CacheEviction, CacheEvictionBus, LocalEvictionBus } from './cache-eviction-bus';
import { cacheEvictionBusProvider, createCacheEvictionBus } from './cache-eviction-bus.factory';
import { type CachedConfig, ConfigCache } from './config-cache';
import { createConfigCacheStore } from './config-cache-store.factory';

/** What an etcd key with a watch on every node does: each message reaches every listener, in order, later. */
class Hub {
  sent: string[] = [];
  down = false;
  private readonly listeners: ((message: string) => void)[] = [];
  private readonly missedListeners: ((reason: string) => void)[] = [];

  transport(): EvictionTransport {
    return {
      description: 'test hub',
      send: async (message) => {
        if (this.down) throw new Error('hub is down');
        this.sent.push(message);
        for (const listener of this.listeners) setImmediate(() => listener(message));
      },
      listen: async (onMessage, onMissed) => {
        this.listeners.push(onMessage);
        this.missedListeners.push(onMissed);
      },
      close: async () => {},
    };
  }

  raw(message: string): void {
    for (const listener of this.listeners) listener(message);
  }

  missed(): void {
    for (const listener of this.missedListeners) listener('compacted');
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const FAST_RESEND = { firstDelayMs: 10, maxDelayMs: 40 };

function recorder() {
  const seen: CacheEviction[] = [];
  return { seen, handler: async (eviction: CacheEviction) => void seen.push(eviction) };
}

const STORE: ConfigStoreConfig = {
  mode: 'online',
  hostUrl: '',
  hostTimeoutMs: 300,
  hostRetries: 0,
  breakerFailures: 3,
  breakerHalfOpenMs: 300,
  cacheTtlMs: 60_000,
  cacheMax: 100,
  cacheStore: 'memory',
};

/** One node's cache on its own memory store, over the hub. */
function node(hub: Hub, nodeId: string) {
  const emitter = new EventEmitter2();
  const events: unknown[] = [];
  emitter.on('config.evicted', (payload) => events.push(payload));
  const bus = new BroadcastEvictionBus(hub.transport(), nodeId, FAST_RESEND);
  const cache = new ConfigCache(
    createCache({ stores: [createConfigCacheStore(STORE)] }),
    { configStore: STORE } as AppConfig,
    new EventBus(emitter),
    bus,
  );
  cache.onApplicationBootstrap();
  return { cache, bus, events };
}

const entry = (logicId: string): CachedConfig => ({
  logicId,
  version: '1',
  origin: 'host',
  fetchedAt: '2026-01-01T00:00:00.000Z',
  config: { id: logicId },
});

describe('BroadcastEvictionBus', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('stamps origin and time, reaches every other node once, and never its own', async () => {
    const hub = new Hub();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => ({
      bus: new BroadcastEvictionBus(hub.transport(), id),
      ...recorder(),
    }));
    for (const n of [a, b, c]) await n.bus.subscribe(n.handler);
    await a.bus.publish({ logicId: 'flow', keys: ['flow-@latest'] });
    await settle();
    expect(a.seen).toEqual([]);
    for (const other of [b, c]) {
      expect(other.seen).toEqual([
        { origin: 'a', logicId: 'flow', keys: ['flow-@latest'], at: expect.stringMatching(/^\d{4}-.*Z$/) },
      ]);
    }
    expect(JSON.parse(hub.sent[0])).toEqual(b.seen[0]);
  });

  it('runs handlers one eviction at a time, in the order sent, even when a handler is slow', async () => {
    const hub = new Hub();
    const a = new BroadcastEvictionBus(hub.transport(), 'a');
    const b = new BroadcastEvictionBus(hub.transport(), 'b');
    const log: string[] = [];
    await b.subscribe(async (eviction) => {
      log.push(`start ${eviction.logicId}`);
      if (eviction.logicId === 'slow') await new Promise((resolve) => setTimeout(resolve, 30));
      log.push(`end ${eviction.logicId}`);
    });
    await a.publish({ logicId: 'slow' });
    await a.publish({ logicId: null });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(log).toEqual(['start slow', 'end slow', 'start null', 'end null']);
  });

  it('ignores what is no eviction, and a failing handler stops neither the next handler nor the next eviction', async () => {
    const hub = new Hub();
    const b = new BroadcastEvictionBus(hub.transport(), 'b');
    const good = recorder();
    await b.subscribe(async () => {
      throw new Error('boom');
    });
    await b.subscribe(good.handler);
    hub.raw('not json');
    hub.raw(JSON.stringify({ origin: 'a', logicId: 7, at: 'x' }));
    hub.raw(JSON.stringify({ origin: 'a', logicId: 'flow', at: 'x' }));
    hub.raw(JSON.stringify({ origin: 'a', logicId: null, at: 'y' }));
    await settle();
    expect(good.seen.map((eviction) => eviction.logicId)).toEqual(['flow', null]);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('clears everything when the transport says evictions may have been missed', async () => {
    const hub = new Hub();
    const b = new BroadcastEvictionBus(hub.transport(), 'b');
    const seen = recorder();
    await b.subscribe(seen.handler);
    hub.missed();
    await settle();
    expect(seen.seen).toEqual([{ origin: 'test hub', logicId: null, at: expect.any(String) }]);
  });

  it('rejects a send that fails, keeps it, and resends it once the transport takes it again', async () => {
    const hub = new Hub();
    const a = new BroadcastEvictionBus(hub.transport(), 'a', FAST_RESEND);
    const b = new BroadcastEvictionBus(hub.transport(), 'b');
    const seen = recorder();
    await b.subscribe(seen.handler);
    hub.down = true;
    await expect(a.publish({ logicId: 'one' })).rejects.toThrow('hub is down');
    await expect(a.publish({ logicId: 'two' })).rejects.toThrow('hub is down');
    expect(a.unsentCount).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen.seen).toEqual([]);
    hub.down = false;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(a.unsentCount).toBe(0);
    expect(seen.seen.map((eviction) => eviction.logicId)).toEqual(['one', 'two']);
    await a.close();
  });

  it('keeps one clear-all instead of an unbounded list during a long outage', async () => {
    const hub = new Hub();
    const a = new BroadcastEvictionBus(hub.transport(), 'a', { firstDelayMs: 60_000, maxDelayMs: 60_000 });
    hub.down = true;
    for (let i = 0; i < 101; i++) await a.publish({ logicId: `l${i}` }).catch(() => undefined);
    expect(a.unsentCount).toBe(1);
    await a.close();
  });
});

describe('ConfigCache over the bus', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('evicts a logic on every node; applying another node’s eviction publishes nothing (no loop)', async () => {
    const hub = new Hub();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => node(hub, id));
    for (const n of [a, b, c]) {
      await n.cache.set('flow-@latest', entry('flow'));
      await n.cache.set('other-@latest', entry('other'));
    }
    const keys = await a.cache.evictLogic('flow', ['3']);
    await settle();
    expect(hub.sent).toHaveLength(1);
    for (const n of [a, b, c]) {
      expect(await n.cache.get('flow-@latest')).toBeUndefined();
      expect(await n.cache.get('other-@latest')).toBeDefined();
    }
    expect(a.events).toEqual([{ logicId: 'flow', keys }]);
    expect(b.events).toEqual([{ logicId: 'flow', keys, origin: 'a' }]);
    await b.cache.clear();
    await settle();
    expect(hub.sent).toHaveLength(2);
    expect(await a.cache.get('other-@latest')).toBeUndefined();
    expect(c.events).toEqual([
      { logicId: 'flow', keys, origin: 'a' },
      { logicId: null, keys: [], origin: 'b' },
    ]);
  });

  it('evicts locally and answers when the bus cannot publish; the other node gets it on the resend', async () => {
    const hub = new Hub();
    const [a, b] = ['a', 'b'].map((id) => node(hub, id));
    await a.cache.set('flow-@latest', entry('flow'));
    await b.cache.set('flow-@latest', entry('flow'));
    hub.down = true;
    await expect(a.cache.evictLogic('flow', [])).resolves.toEqual(['flow-@latest', 'flow-offline']);
    expect(await a.cache.get('flow-@latest')).toBeUndefined();
    expect(await b.cache.get('flow-@latest')).toBeDefined();
    expect(Logger.prototype.warn).toHaveBeenCalledWith(
      expect.objectContaining({ via: 'test hub', logicId: 'flow', err: 'hub is down' }),
    );
    hub.down = false;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await b.cache.get('flow-@latest')).toBeUndefined();
  });
});

describe('the eviction bus provider (Nest DI)', () => {
  const fakeEtcd = { client: {}, keys: { cacheEvictions: '/x/cache-evictions' }, config: { nodeId: 'n1' } };
  const bus = async (extra: Provider[]) => {
    const moduleRef = await Test.createTestingModule({
      providers: [cacheEvictionBusProvider, { provide: AppConfig, useValue: { configStore: STORE } }, ...extra],
    }).compile();
    const found = moduleRef.get(CacheEvictionBus);
    await moduleRef.close();
    return found;
  };

  it('takes the etcd bus when ClusterModule provides EtcdCluster, and the local one when it does not', async () => {
    expect(await bus([{ provide: EtcdCluster, useValue: fakeEtcd }])).toBeInstanceOf(BroadcastEvictionBus);
    expect(await bus([])).toBeInstanceOf(LocalEvictionBus);
  });
});

describe('createCacheEvictionBus', () => {
  const etcd = {
    client: {} as Etcd3,
    keys: { cacheEvictions: '/x/cache-evictions' },
    config: { nodeId: 'n1' },
  } as unknown as EtcdCluster;

  it('uses the etcd key in cluster mode with a memory store', () => {
    const bus = createCacheEvictionBus(STORE, etcd);
    expect(bus).toBeInstanceOf(BroadcastEvictionBus);
    expect(bus.description).toBe('etcd key /x/cache-evictions');
    expect((bus as BroadcastEvictionBus).nodeId).toBe('n1');
  });

  it('needs nothing in single-node mode, nor with the shared Redis store (even in cluster mode)', () => {
    expect(createCacheEvictionBus(STORE, undefined)).toBeInstanceOf(LocalEvictionBus);
    expect(createCacheEvictionBus({ ...STORE, cacheStore: 'redis' }, etcd)).toBeInstanceOf(LocalEvictionBus);
  });
});
