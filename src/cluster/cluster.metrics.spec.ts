import { parsePrometheusText } from '../../test/support/prometheus-text';
import { FakeClock } from '../../test/support/fake-clock';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import { ClusterMetrics } from './cluster.metrics';
import type { EtcdCluster } from './etcd/etcd-cluster';
import type { Leadership, LeaderView } from './leadership';

const START = new Date('2026-11-29T12:00:00Z');

function world(withEtcd: boolean) {
  const registry = new MetricsRegistry();
  const clock = new FakeClock(START);
  const state = { leading: true, leader: { nodeId: 'a' } as LeaderView | null, lastContactAt: null as Date | null };
  const leadership = { isLeader: () => state.leading, leader: () => state.leader } as unknown as Leadership;
  const etcd = {
    keeper: {
      get lastContactAt() {
        return state.lastContactAt;
      },
    },
  } as unknown as EtcdCluster;
  const metrics = new ClusterMetrics(registry, leadership, clock, withEtcd ? etcd : undefined);
  return { state, clock, metrics, scrape: async () => parsePrometheusText(await registry.text()) };
}

describe('ClusterMetrics', () => {
  it('single-node mode: the leader, always; no etcd gauge at all', async () => {
    const seen = await world(false).scrape();
    expect(seen.value('logic_ha_cluster_is_leader')).toBe(1);
    expect(seen.value('logic_ha_cluster_has_leader')).toBe(1);
    expect(seen.types.has('logic_ha_cluster_etcd_last_contact_seconds')).toBe(false);
  });

  it('cluster mode: a follower without a known leader, and how long etcd has been silent', async () => {
    const { state, clock, scrape } = world(true);
    Object.assign(state, { leading: false, leader: null });
    clock.advance(5_000);
    let seen = await scrape();
    expect(seen.value('logic_ha_cluster_is_leader')).toBe(0);
    expect(seen.value('logic_ha_cluster_has_leader')).toBe(0);
    // Never in contact: counted from the start.
    expect(seen.value('logic_ha_cluster_etcd_last_contact_seconds')).toBe(5);
    state.lastContactAt = new Date(clock.now().getTime() - 1_500);
    seen = await scrape();
    expect(seen.value('logic_ha_cluster_etcd_last_contact_seconds')).toBe(1.5);
  });

  it('counts leader changes', async () => {
    const { metrics, scrape } = world(true);
    metrics.onLeaderChanged();
    metrics.onLeaderChanged();
    expect((await scrape()).value('logic_ha_cluster_leader_changes_total')).toBe(2);
  });
});
