import { readFileSync, writeFileSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { type DomainError } from '../../src/common/errors/domain-error';
import { type ConfigStoreWorld, openConfigStoreWorld } from '../support/config-store-world';
import { parsePrometheusText } from '../support/prometheus-text';
import { FakeConfigHost } from '../support/fake-config-host';

const ORDER_FLOW = { id: 'ignored', name: 'Order flow', version: '7', nodes: [{ id: 'n1' }], visualConfig: { x: 1 } };
const NORMALISED = { name: 'Order flow', version: '7', nodes: [{ id: 'n1' }], id: 'order-flow' };

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('expected a failure');
}

// The store logs every fallback and damaged file; the assertions here check them instead.
beforeAll(() => Logger.overrideLogger(false));

describe('config store against a real HTTP host', () => {
  const host = new FakeConfigHost();
  let world: ConfigStoreWorld;
  const metrics = async () => parsePrometheusText(await world.metrics.text());

  beforeEach(async () => {
    await host.start();
    host.behaviour = {
      kind: 'answer',
      configs: { 'order-flow': ORDER_FLOW, 'order-flow@6': { ...ORDER_FLOW, version: '6' } },
    };
    host.requests = [];
    world = openConfigStoreWorld({ hostUrl: host.url });
  });
  afterEach(async () => {
    await host.stop();
    await world.close();
  });

  it('reads from the host, normalises, caches, and writes the file through', async () => {
    const first = await world.service.readLogicConfig('order-flow');
    expect(first).toMatchObject({
      logicId: 'order-flow',
      version: '7',
      source: 'host',
      stale: false,
      config: NORMALISED,
    });
    const second = await world.service.readLogicConfig('order-flow');
    expect(second).toMatchObject({ source: 'cache', config: NORMALISED });
    expect(host.requests).toEqual(['/api/ide/logic/order-flow/config']);
    const file = JSON.parse(readFileSync(world.files.pathOf('order-flow'), 'utf8'));
    expect(file).toMatchObject({
      format: 'logic-ha/config-file@2',
      logicId: 'order-flow',
      version: '7',
      config: NORMALISED,
    });
    expect(world.cache.stats()).toMatchObject({ entries: 1, hits: 1, misses: 1 });
  });

  it('reads a version under its own key and does not overwrite the latest file with it', async () => {
    await world.service.readLogicConfig('order-flow');
    const v6 = await world.service.readLogicConfig('order-flow', '6');
    expect(v6).toMatchObject({ version: '6', source: 'host' });
    expect(host.requests).toContain('/api/ide/logic/order-flow/config/6');
    expect((await world.service.readLogicConfigFromFile('order-flow'))!.version).toBe('7');
  });

  it('serves the last known good file, marked stale, when the host is gone; emits host-unreachable once', async () => {
    await world.service.readLogicConfig('order-flow');
    await world.cache.clear();
    await host.stop();
    const answers = [
      await world.service.readLogicConfig('order-flow'),
      await world.service.readLogicConfig('order-flow'),
    ];
    for (const answer of answers) expect(answer).toMatchObject({ source: 'file', stale: true, config: NORMALISED });
    expect(world.events).toHaveLength(1);
    expect(world.events[0].payload).toMatchObject({ host: host.url, failure: 'unreachable' });
    // Counted per read, not per outage (the event is once per outage).
    const seen = await metrics();
    expect(seen.value('logic_ha_config_host_errors_total', { failure: 'unreachable' })).toBe(2);
    expect(seen.value('logic_ha_config_file_fallbacks_total', { outcome: 'served' })).toBe(2);
    expect(seen.value('logic_ha_config_stale_answers_total')).toBe(2);
    expect(seen.value('logic_ha_config_host_up')).toBe(0);
  });

  it('answers 503 naming the host failure when there is no file to fall back to', async () => {
    await host.stop();
    const error = await failure(world.service.readLogicConfig('order-flow'));
    expect(error.code).toBe('CONFIG_HOST_UNAVAILABLE');
    expect(error.message).toMatch(/unreachable.*no local file for logicId "order-flow"/);
    const seen = await metrics();
    expect(seen.value('logic_ha_config_file_fallbacks_total', { outcome: 'missing' })).toBe(1);
    expect(seen.value('logic_ha_config_stale_answers_total')).toBe(0);
  });

  it('honours the timeout of a host that hangs, and falls back', async () => {
    await world.service.readLogicConfig('order-flow');
    await world.cache.clear();
    host.behaviour = { kind: 'sleep', ms: 30_000 };
    const answer = await world.service.readLogicConfig('order-flow');
    expect(answer).toMatchObject({ source: 'file', stale: true });
    expect(world.events[0].payload).toMatchObject({ failure: 'timeout' });
  });

  it('retries a 5xx, then opens the breaker so a dead host is not asked, then half-opens and recovers', async () => {
    await world.service.readLogicConfig('order-flow');
    await world.cache.clear();
    host.behaviour = { kind: 'status', status: 503 };
    host.requests = [];
    await world.service.readLogicConfig('order-flow');
    expect(host.requests).toHaveLength(3); // the first try and 2 retries
    await world.service.readLogicConfig('order-flow');
    await world.service.readLogicConfig('order-flow');
    expect(world.host.breakerState()).toBe('open');
    const asked = host.requests.length;
    const whileOpen = await world.service.readLogicConfig('order-flow');
    expect(whileOpen).toMatchObject({ source: 'file', stale: true });
    expect(host.requests).toHaveLength(asked); // not asked while open
    const open = await metrics();
    expect(open.value('logic_ha_config_host_breaker_state', { state: 'open' })).toBe(1);
    expect(open.value('logic_ha_config_host_breaker_state', { state: 'closed' })).toBe(0);
    expect(open.value('logic_ha_config_host_errors_total', { failure: 'breaker-open' })).toBe(1);
    host.behaviour = { kind: 'answer', configs: { 'order-flow': ORDER_FLOW } };
    await new Promise((resolve) => setTimeout(resolve, 350)); // CONFIG_HOST_BREAKER_HALF_OPEN_MS = 300
    const recovered = await world.service.readLogicConfig('order-flow');
    expect(recovered).toMatchObject({ source: 'host', stale: false });
    expect(world.host.breakerState()).toBe('closed');
    expect((await metrics()).value('logic_ha_config_host_breaker_state', { state: 'closed' })).toBe(1);
  });

  it.each([
    ['a non-2xx answer', { kind: 'status' as const, status: 404 }, 'http-status'],
    ['invalid JSON', { kind: 'body' as const, body: '<html>proxy error' }, 'invalid-json'],
    ['JSON without data', { kind: 'body' as const, body: '{"ok":true}' }, 'invalid-answer'],
  ])('distinguishes %s and falls back', async (_name, behaviour, failureKind) => {
    await world.service.readLogicConfig('order-flow');
    await world.cache.clear();
    host.behaviour = behaviour;
    host.requests = [];
    expect(await world.service.readLogicConfig('order-flow')).toMatchObject({ source: 'file', stale: true });
    expect(world.events[0].payload).toMatchObject({ failure: failureKind });
    expect(host.requests).toHaveLength(1); // not transient: not retried
  });

  it('treats data: null as "no such config" (404), without falling back to a file', async () => {
    await world.service.readLogicConfig('order-flow');
    await world.cache.clear();
    host.behaviour = { kind: 'answer', configs: {} };
    const error = await failure(world.service.readLogicConfig('order-flow'));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
  });

  it('never serves a truncated file, and says why', async () => {
    await world.service.readLogicConfig('order-flow');
    await world.cache.clear();
    const path = world.files.pathOf('order-flow');
    const content = readFileSync(path, 'utf8');
    writeFileSync(path, content.slice(0, content.length / 2));
    await host.stop();
    const error = await failure(world.service.readLogicConfig('order-flow'));
    expect(error.code).toBe('CONFIG_FILE_CORRUPT');
    expect(error.message).toMatch(/not valid JSON.*truncated/);
  });

  it('detects a file whose content was altered but is still JSON', async () => {
    await world.service.saveLogicConfigToFile('order-flow', ORDER_FLOW);
    const path = world.files.pathOf('order-flow');
    writeFileSync(path, readFileSync(path, 'utf8').replace('Order flow', 'Order flaw'));
    const error = await failure(world.service.readLogicConfig('order-flow', undefined, 'offline'));
    expect(error.code).toBe('CONFIG_FILE_CORRUPT');
    expect(error.message).toMatch(/checksum mismatch/);
  });

  // Found by a fault probe: the checksum covered only `config`, so these were served.
  it('never answers ?version= from a file whose envelope version was edited while the host is down', async () => {
    await world.service.readLogicConfig('order-flow');
    await world.cache.clear();
    const path = world.files.pathOf('order-flow');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"version": "7"', '"version": "8"'));
    await host.stop();
    const error = await failure(world.service.readLogicConfig('order-flow', '8'));
    expect(error.code).toBe('CONFIG_FILE_CORRUPT');
    expect(error.message).toMatch(/checksum mismatch/);
    expect((await failure(world.service.readLogicConfig('order-flow', '8', 'offline'))).code).toBe(
      'CONFIG_FILE_CORRUPT',
    );
  });

  it("never serves another logic's file whose envelope was given this logicId, online or offline", async () => {
    await world.service.saveLogicConfigToFile('other-flow', { ...ORDER_FLOW, name: 'Other flow' });
    const other = readFileSync(world.files.pathOf('other-flow'), 'utf8');
    writeFileSync(
      world.files.pathOf('order-flow'),
      other.replace('"logicId": "other-flow"', '"logicId": "order-flow"'),
    );
    await host.stop();
    expect((await failure(world.service.readLogicConfig('order-flow', undefined, 'offline'))).code).toBe(
      'CONFIG_FILE_CORRUPT',
    );
    expect((await failure(world.service.readLogicConfig('order-flow'))).code).toBe('CONFIG_FILE_CORRUPT');
  });

  it('refuses a file of the previous format, and an online read rewrites it in the current one', async () => {
    await world.service.readLogicConfig('order-flow');
    await world.cache.clear();
    const path = world.files.pathOf('order-flow');
    writeFileSync(path, readFileSync(path, 'utf8').replace('logic-ha/config-file@2', 'logic-ha/config-file@1'));
    const refused = await failure(world.service.readLogicConfig('order-flow', undefined, 'offline'));
    expect(refused.message).toMatch(/older logic-ha\/config-file@1 format/);
    expect(await world.service.readLogicConfig('order-flow')).toMatchObject({ source: 'host' });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ format: 'logic-ha/config-file@2' });
  });

  it('offline mode reads the file without asking the host, and 404s naming logicId and mode without one', async () => {
    await world.service.saveLogicConfigToFile('order-flow', ORDER_FLOW);
    host.requests = [];
    expect(await world.service.readLogicConfig('order-flow', undefined, 'offline')).toMatchObject({
      source: 'file',
      stale: false,
      config: NORMALISED,
    });
    expect(await world.service.readLogicConfig('order-flow', undefined, 'offline')).toMatchObject({ source: 'cache' });
    const error = await failure(world.service.readLogicConfig('other-flow', undefined, 'offline'));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.message).toMatch(/"other-flow" in offline mode/);
    expect(host.requests).toEqual([]);
  });

  it('leaves one complete version when the same file is written concurrently', async () => {
    const versions = Array.from({ length: 20 }, (_, i) => ({
      ...ORDER_FLOW,
      version: String(i),
      payload: 'x'.repeat(5000 + i),
    }));
    await Promise.all(versions.map((config) => world.service.saveLogicConfigToFile('order-flow', config)));
    const file = await world.service.readLogicConfigFromFile('order-flow');
    expect(versions.map((v) => v.version)).toContain(file!.version);
    expect(file!.config).toMatchObject({ version: file!.version, payload: 'x'.repeat(5000 + Number(file!.version)) });
    expect(await world.service.getOfflineLogicIds()).toEqual(['order-flow']);
  });

  it.each(['../etc/passwd', '/etc/passwd', 'a/b', 'a\u0000b', '.hidden', '..', 'x'.repeat(37), ''])(
    'rejects the logicId %j before touching the file system',
    async (logicId) => {
      const error = await failure(world.service.readLogicConfig(logicId, undefined, 'offline'));
      expect(error.code).toBe('INVALID_LOGIC_ID');
      await expect(world.service.saveLogicConfigToFile(logicId, {})).rejects.toMatchObject({
        code: 'INVALID_LOGIC_ID',
      });
    },
  );
});

describe('config cache expiry', () => {
  afterEach(() => jest.useRealTimers());

  it('expires an entry after a period without access, and a hit renews it', async () => {
    // Only Date is faked: the cache reads Date.now() for expiry, and its promises need real timers.
    jest.useFakeTimers({
      now: new Date('2026-06-01T12:00:00Z'),
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    const world = openConfigStoreWorld({ cacheTtlMs: 1000 });
    const entry = { logicId: 'a', version: null, origin: 'host' as const, fetchedAt: '', config: {} };
    await world.cache.set('a-@latest', entry);
    jest.setSystemTime(Date.now() + 800);
    expect(await world.cache.get('a-@latest')).toBeDefined(); // renewed: now expires 1000 ms from here
    jest.setSystemTime(Date.now() + 800);
    expect(await world.cache.get('a-@latest')).toBeDefined(); // 1600 ms after the write: alive because of the hit
    jest.setSystemTime(Date.now() + 1001);
    expect(await world.cache.get('a-@latest')).toBeUndefined();
    await world.close();
  });

  it('holds at most CONFIG_CACHE_MAX entries, dropping the least recently used', async () => {
    const world = openConfigStoreWorld({ cacheMax: 2 });
    const entry = { logicId: 'a', version: null, origin: 'host' as const, fetchedAt: '', config: {} };
    await world.cache.set('a', entry);
    await world.cache.set('b', entry);
    await world.cache.get('a');
    await world.cache.set('c', entry);
    expect(await world.cache.get('b')).toBeUndefined();
    expect(await world.cache.get('a')).toBeDefined();
    expect(world.cache.stats().entries).toBe(2);
    await world.close();
  });
});
