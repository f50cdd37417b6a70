import { parsePrometheusText } from '../../test/support/prometheus-text';
import { FakeClock } from '../../test/support/fake-clock';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import type { DatabaseTopology } from '../database/topology/database-topology';
import type { FailoverRecord } from '../database/topology/topology-state';
import type { FailoverMonitor } from './failover-monitor.service';
import type { FailoverStatusService } from './failover-status.service';
import { FailoverMetrics, serverSamples } from './failover.metrics';

const NOW = new Date('2026-11-29T12:00:00Z');

const replication = (io: string, sql: string, lag: number | null) => ({
  ioThread: io,
  sqlThread: sql,
  lagSeconds: lag,
});

/** What GET /api/v1/failover/status shows for a primary, two standbys and a fenced old primary. */
function replicatedStatus(overrides: Record<string, unknown> = {}) {
  return {
    enabled: true,
    reason: null,
    epoch: 3,
    switching: false,
    servers: [
      { key: 'db1:3306', role: 'primary', reachable: true },
      { key: 'db2:3306', role: 'standby', reachable: true, replication: replication('Yes', 'Yes', 4) },
      { key: 'db3:3306', role: 'standby', reachable: false, replication: replication('Connecting', 'No', null) },
      { key: 'db0:3306', role: 'fenced', reachable: null },
    ],
    maintenance: { enabled: false, reason: null },
    disabledReason: null,
    ...overrides,
  };
}

function record(kind: 'failover' | 'switchover', finishedSecondsAgo: number): FailoverRecord {
  const finishedAt = new Date(NOW.getTime() - finishedSecondsAgo * 1000).toISOString();
  return { id: kind, kind, finishedAt, outcome: 'succeeded' } as FailoverRecord;
}

function world(status: Record<string, unknown> = replicatedStatus(), history: FailoverRecord[] = []) {
  const registry = new MetricsRegistry();
  const clock = new FakeClock(NOW);
  const current = { status, primary: null as null | { key: string; lastHeartbeatAt: string | null } };
  const statusService = { status: jest.fn(() => current.status) } as unknown as FailoverStatusService;
  const monitor = { snapshot: () => ({ primary: current.primary }) } as unknown as FailoverMonitor;
  const topology = { replicated: 'servers' in status, state: { history } } as unknown as DatabaseTopology;
  const metrics = new FailoverMetrics(registry, statusService, monitor, topology, clock);
  const scrape = async () => parsePrometheusText(await registry.text());
  return { current, clock, metrics, scrape, statusService };
}

describe('serverSamples', () => {
  it('up, role, lag and threads per server; nothing for what a server does not report', () => {
    const samples = serverSamples(replicatedStatus() as never);
    expect(samples.up).toEqual([
      { labels: { server: 'db1:3306' }, value: 1 },
      { labels: { server: 'db2:3306' }, value: 1 },
      { labels: { server: 'db3:3306' }, value: 0 },
    ]);
    expect(samples.role.filter((s) => s.value === 1).map((s) => s.labels)).toEqual([
      { server: 'db1:3306', role: 'primary' },
      { server: 'db2:3306', role: 'standby' },
      { server: 'db3:3306', role: 'standby' },
      { server: 'db0:3306', role: 'fenced' },
    ]);
    expect(samples.role).toHaveLength(12); // every role of every server: 0 or 1
    expect(samples.lag).toEqual([{ labels: { server: 'db2:3306' }, value: 4 }]);
    expect(samples.io).toEqual([
      { labels: { server: 'db2:3306' }, value: 1 },
      { labels: { server: 'db3:3306' }, value: 0 }, // Connecting is not running
    ]);
    expect(samples.sql.map((s) => s.value)).toEqual([1, 0]);
  });

  it('no replicated topology (SQLite, no standbys): no samples', () => {
    expect(serverSamples({ enabled: false, reason: 'no standbys' })).toEqual({
      up: [],
      role: [],
      lag: [],
      io: [],
      sql: [],
    });
  });
});

describe('FailoverMetrics', () => {
  it('reads the status once per scrape for every gauge', async () => {
    const { scrape, statusService } = world();
    const seen = await scrape();
    expect(statusService.status).toHaveBeenCalledTimes(1);
    expect(seen.value('logic_ha_server_role', { server: 'db1:3306', role: 'primary' })).toBe(1);
    expect(seen.value('logic_ha_replication_lag_seconds', { server: 'db2:3306' })).toBe(4);
    expect(seen.value('logic_ha_topology_epoch')).toBe(3);
    expect(seen.value('logic_ha_failover_automatic_disabled')).toBe(0);
    expect(seen.value('logic_ha_failover_maintenance')).toBe(0);
    expect(seen.value('logic_ha_failover_in_progress')).toBe(0);
  });

  it.each([
    [{ disabledReason: 'failover f1 failed at promote: acknowledge it' }, 1, 0],
    [{ reason: 'the database is managed by a cluster' }, 1, 0],
    [{ maintenance: { enabled: true, reason: 'upgrade' } }, 0, 1],
  ])('%j: automatic failover disabled %d, maintenance %d', async (overrides, disabled, maintenance) => {
    const seen = await world(replicatedStatus(overrides)).scrape();
    expect(seen.value('logic_ha_failover_automatic_disabled')).toBe(disabled);
    expect(seen.value('logic_ha_failover_maintenance')).toBe(maintenance);
  });

  it('seconds since the newest failover and switchover, from the history', async () => {
    const seen = await world(replicatedStatus(), [record('switchover', 60), record('failover', 3600)]).scrape();
    expect(seen.value('logic_ha_failover_since_last_seconds', { kind: 'switchover' })).toBe(60);
    expect(seen.value('logic_ha_failover_since_last_seconds', { kind: 'failover' })).toBe(3600);
  });

  it('counts failovers by kind and outcome, and times detection and promotion', async () => {
    const { current, clock, metrics, scrape } = world();
    // The old primary last answered 7 s before the failover started.
    current.primary = { key: 'db1:3306', lastHeartbeatAt: new Date(NOW.getTime() - 7_000).toISOString() };
    metrics.onStarted({ id: 'f1', kind: 'failover', epoch: 3, oldPrimary: 'db1:3306', reason: 'dead' });
    clock.advance(2_500);
    metrics.onChanged({
      id: 'f1',
      kind: 'failover',
      epoch: 4,
      oldPrimary: 'db1:3306',
      newPrimary: 'db2:3306',
      at: clock.now(),
    });
    metrics.onStarted({ id: 's1', kind: 'switchover', epoch: 4, oldPrimary: 'db2:3306', reason: 'planned' });
    metrics.onFailed({ id: 's1', kind: 'switchover', epoch: 4, oldPrimary: 'db2:3306', step: 'catch-up', reason: 'x' });
    const seen = await scrape();
    expect(seen.value('logic_ha_failovers_total', { kind: 'failover', outcome: 'succeeded' })).toBe(1);
    expect(seen.value('logic_ha_failovers_total', { kind: 'switchover', outcome: 'failed' })).toBe(1);
    expect(seen.value('logic_ha_failovers_total', { kind: 'failover', outcome: 'failed' })).toBe(0);
    expect(seen.value('logic_ha_failover_detection_seconds_sum')).toBe(7);
    expect(seen.value('logic_ha_failover_detection_seconds_count')).toBe(1);
    expect(seen.value('logic_ha_failover_promotion_seconds_sum', { kind: 'failover' })).toBe(2.5);
    // The failed switchover has no promotion time.
    expect(seen.value('logic_ha_failover_promotion_seconds_count', { kind: 'switchover' })).toBeUndefined();
  });

  it('a change this node only followed (no start seen) is counted, without a promotion time', async () => {
    const { metrics, scrape } = world();
    metrics.onChanged({ id: 'f9', kind: 'failover', epoch: 5, oldPrimary: 'a', newPrimary: 'b', at: NOW });
    const seen = await scrape();
    expect(seen.value('logic_ha_failovers_total', { kind: 'failover', outcome: 'succeeded' })).toBe(1);
    expect(seen.value('logic_ha_failover_promotion_seconds_count', { kind: 'failover' })).toBeUndefined();
  });

  it('a switchover, or a primary the monitor never heard, has no detection time', async () => {
    const { metrics, scrape } = world();
    metrics.onStarted({ id: 's1', kind: 'switchover', epoch: 3, oldPrimary: 'db1:3306', reason: 'planned' });
    metrics.onStarted({ id: 'f1', kind: 'failover', epoch: 3, oldPrimary: 'db1:3306', reason: 'dead' });
    expect((await scrape()).value('logic_ha_failover_detection_seconds_count')).toBe(0);
  });

  it('without a replicated topology the families are there without samples', async () => {
    const seen = await world({ enabled: false, reason: 'no standbys' }).scrape();
    expect(seen.types.get('logic_ha_server_up')).toBe('gauge');
    expect(seen.all('logic_ha_server_up')).toEqual([]);
    expect(seen.all('logic_ha_topology_epoch')).toEqual([]);
    expect(seen.all('logic_ha_failover_automatic_disabled')).toEqual([]);
  });
});
