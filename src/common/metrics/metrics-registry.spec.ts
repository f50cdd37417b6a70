import { parsePrometheusText } from '../../../test/support/prometheus-text';
import { MetricsRegistry, type Sample } from './metrics-registry';
import { perScrape, secondsSince } from './scrape-snapshot';

const read = async (registry: MetricsRegistry) => parsePrometheusText(await registry.text());

describe('MetricsRegistry', () => {
  it('refuses a name without the logic_ha_ prefix', () => {
    expect(() => new MetricsRegistry().gauge({ name: 'up', help: 'x' })).toThrow(/must start with logic_ha_/);
  });

  it('keeps its own registry: two instances share no metric', async () => {
    const one = new MetricsRegistry();
    one.counter({ name: 'logic_ha_test_total', help: 'x' }).inc();
    const other = new MetricsRegistry();
    expect(() => other.counter({ name: 'logic_ha_test_total', help: 'x' })).not.toThrow();
    expect((await read(other)).value('logic_ha_test_total')).toBe(0);
    expect((await read(one)).value('logic_ha_test_total')).toBe(1);
  });

  it('reads a sampled gauge at scrape time; label sets that went away go away', async () => {
    const registry = new MetricsRegistry();
    let samples: Sample<'server'>[] = [
      { labels: { server: 'a:3306' }, value: 1 },
      { labels: { server: 'b:3306' }, value: 0 },
    ];
    registry.sampledGauge({ name: 'logic_ha_test_up', help: 'x', labelNames: ['server'], read: () => samples });
    expect((await read(registry)).all('logic_ha_test_up')).toHaveLength(2);
    samples = [{ labels: { server: 'b:3306' }, value: 1 }];
    const after = await read(registry);
    expect(after.all('logic_ha_test_up')).toEqual([
      { name: 'logic_ha_test_up', labels: { server: 'b:3306' }, value: 1 },
    ]);
    expect(after.types.get('logic_ha_test_up')).toBe('gauge');
  });

  it.each([[[]], [undefined]])(
    'a label-less sampled gauge without a sample (%j) shows no 0, only its TYPE',
    async (none) => {
      const registry = new MetricsRegistry();
      registry.sampledGauge({ name: 'logic_ha_test_age_seconds', help: 'x', read: async () => none });
      const text = await registry.text();
      expect(text).toContain('# TYPE logic_ha_test_age_seconds gauge');
      expect(parsePrometheusText(text).all('logic_ha_test_age_seconds')).toEqual([]);
    },
  );

  it('a sampled counter shows the totals its source keeps', async () => {
    const registry = new MetricsRegistry();
    let hits = 3;
    registry.sampledCounter({ name: 'logic_ha_test_hits_total', help: 'x', read: () => [{ value: hits }] });
    expect((await read(registry)).value('logic_ha_test_hits_total')).toBe(3);
    hits = 5;
    const after = await read(registry);
    expect(after.value('logic_ha_test_hits_total')).toBe(5);
    expect(after.types.get('logic_ha_test_hits_total')).toBe('counter');
  });

  it('a read that throws and a read that never resolves do not fail the scrape: the other metrics answer', async () => {
    const registry = new MetricsRegistry({ readTimeoutMs: 50 });
    registry.sampledGauge({ name: 'logic_ha_test_ok', help: 'x', read: () => [{ value: 7 }] });
    registry.sampledGauge({
      name: 'logic_ha_test_broken',
      help: 'x',
      read: async () => Promise.reject(new Error('database away')),
    });
    registry.sampledGauge({ name: 'logic_ha_test_hung', help: 'x', read: () => new Promise<never>(() => undefined) });
    registry.sampledCounter({
      name: 'logic_ha_test_broken_total',
      help: 'x',
      read: () => {
        throw new Error('database away');
      },
    });
    const first = await read(registry);
    expect(first.value('logic_ha_test_ok')).toBe(7);
    for (const name of ['logic_ha_test_broken', 'logic_ha_test_hung', 'logic_ha_test_broken_total'])
      expect({ name, samples: first.all(name) }).toEqual({ name, samples: [] });
    const second = await read(registry);
    expect(second.value('logic_ha_test_ok')).toBe(7);
    for (const collector of ['logic_ha_test_broken', 'logic_ha_test_hung', 'logic_ha_test_broken_total'])
      expect(second.value('logic_ha_metrics_collect_errors_total', { collector })).toBe(1);
  });

  it('counts a collector that could not read its source', async () => {
    const registry = new MetricsRegistry();
    registry.collectFailed('backup', new Error('database away'));
    expect((await read(registry)).value('logic_ha_metrics_collect_errors_total', { collector: 'backup' })).toBe(1);
  });
});

describe('perScrape', () => {
  it('shares one read among the callers of one task, and reads again in the next', async () => {
    let reads = 0;
    const shared = perScrape(() => ++reads);
    expect([shared(), shared(), shared()]).toEqual([1, 1, 1]);
    await Promise.resolve();
    expect(shared()).toBe(2);
  });
});

describe('secondsSince', () => {
  const now = new Date('2026-11-29T12:00:10Z');
  it.each([
    [new Date('2026-11-29T12:00:00Z'), 10],
    ['2026-11-29T12:00:09.500Z', 0.5],
    [null, undefined],
    [undefined, undefined],
    ['not a date', undefined],
  ])('%j -> %j', (then, expected) => {
    expect(secondsSince(then, now)).toBe(expected);
  });
});
