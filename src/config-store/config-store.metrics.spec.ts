import { parsePrometheusText } from '../../test/support/prometheus-text';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import type { ConfigCache } from './cache/config-cache';
import { ConfigStoreMetrics } from './config-store.metrics';
import type { BreakerState, ConfigHost } from './host/config-host';
import type { HostReachability } from './host-reachability';

function world() {
  const registry = new MetricsRegistry();
  const stats = { hits: 0, misses: 0, entries: 0 as number | null };
  const host = { breaker: 'none' as BreakerState };
  const reach = { reachable: null as boolean | null };
  const metrics = new ConfigStoreMetrics(
    registry,
    { stats: () => stats } as unknown as ConfigCache,
    { breakerState: () => host.breaker } as unknown as ConfigHost,
    { snapshot: () => reach } as unknown as HostReachability,
  );
  const scrape = async () => parsePrometheusText(await registry.text());
  return { stats, host, reach, metrics, scrape };
}

describe('ConfigStoreMetrics', () => {
  it('reads the cache’s own hit and miss counts and its size', async () => {
    const { stats, scrape } = world();
    Object.assign(stats, { hits: 7, misses: 2, entries: 3 });
    const metrics = await scrape();
    expect(metrics.value('logic_ha_config_cache_hits_total')).toBe(7);
    expect(metrics.value('logic_ha_config_cache_misses_total')).toBe(2);
    expect(metrics.value('logic_ha_config_cache_entries')).toBe(3);
    stats.entries = null; // the shared Redis store: no per-node size
    expect((await scrape()).all('logic_ha_config_cache_entries')).toEqual([]);
  });

  it.each<[BreakerState, Record<string, number>]>([
    ['closed', { closed: 1, 'half-open': 0, open: 0 }],
    ['open', { closed: 0, 'half-open': 0, open: 1 }],
    ['half-open', { closed: 0, 'half-open': 1, open: 0 }],
  ])('shows the breaker %s as one state set to 1', async (state, expected) => {
    const { host, scrape } = world();
    host.breaker = state;
    const samples = (await scrape()).all('logic_ha_config_host_breaker_state');
    expect(Object.fromEntries(samples.map((s) => [s.labels.state, s.value]))).toEqual(expected);
  });

  it('has no breaker sample when this node’s database is the host, and no host_up before the first read', async () => {
    const metrics = await world().scrape();
    expect(metrics.all('logic_ha_config_host_breaker_state')).toEqual([]);
    expect(metrics.all('logic_ha_config_host_up')).toEqual([]);
  });

  it('counts host errors by failure, fallbacks by outcome, and the stale answers', async () => {
    const { metrics, reach, scrape } = world();
    metrics.hostFailed('timeout');
    metrics.hostFailed('timeout');
    metrics.hostFailed('breaker-open');
    metrics.fellBackToFile(true);
    metrics.fellBackToFile(false);
    reach.reachable = false;
    const seen = await scrape();
    expect(seen.value('logic_ha_config_host_errors_total', { failure: 'timeout' })).toBe(2);
    expect(seen.value('logic_ha_config_host_errors_total', { failure: 'breaker-open' })).toBe(1);
    expect(seen.value('logic_ha_config_file_fallbacks_total', { outcome: 'served' })).toBe(1);
    expect(seen.value('logic_ha_config_file_fallbacks_total', { outcome: 'missing' })).toBe(1);
    expect(seen.value('logic_ha_config_stale_answers_total')).toBe(1);
    expect(seen.value('logic_ha_config_host_up')).toBe(0);
  });
});
