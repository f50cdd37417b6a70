import { Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import {
  type DbFailoverFailedEvent,
  type DbFailoverStartedEvent,
  type DbPrimaryChangedEvent,
} from '../common/events/app-events';
import { OnAppEvent } from '../common/events/event-bus';
import { MetricsRegistry, type Sample } from '../common/metrics/metrics-registry';
import { perScrape, secondsSince } from '../common/metrics/scrape-snapshot';
import { Clock } from '../common/time/clock';
import { DatabaseTopology } from '../database/topology/database-topology';
import type { FailoverKind } from '../database/topology/topology-state';
import { FailoverMonitor } from './failover-monitor.service';
import { FailoverStatusService } from './failover-status.service';

type Status = ReturnType<FailoverStatusService['status']>;
type ReplicatedStatus = Extract<Status, { epoch: number }>;
type ServerView = ReplicatedStatus['servers'][number];

const ROLES = ['primary', 'standby', 'fenced'] as const;
const KINDS: FailoverKind[] = ['failover', 'switchover'];

/** Detection takes heartbeats × threshold plus the standbys' confirmation: seconds to a minute. */
export const DETECTION_BUCKETS = [1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 120];
/** From the start of a failover to the new primary taking writes. */
export const PROMOTION_BUCKETS = [0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120];

/**
 * Per-server samples of the replicated topology, as GET /api/v1/failover/status shows it
 * (mysqld_exporter's names: `slave_io_running`, lag in seconds). Nothing without standbys.
 */
export function serverSamples(status: Status): {
  up: Sample<'server'>[];
  role: Sample<'server' | 'role'>[];
  lag: Sample<'server'>[];
  io: Sample<'server'>[];
  sql: Sample<'server'>[];
} {
  const samples = { up: [], role: [], lag: [], io: [], sql: [] } as ReturnType<typeof serverSamples>;
  if (!status.servers) return samples;
  for (const view of status.servers) {
    const server = view.key;
    if (view.reachable !== null) samples.up.push({ labels: { server }, value: view.reachable ? 1 : 0 });
    for (const role of ROLES) samples.role.push({ labels: { server, role }, value: view.role === role ? 1 : 0 });
    const replication = replicationOf(view);
    if (!replication) continue;
    if (replication.lagSeconds !== null) samples.lag.push({ labels: { server }, value: replication.lagSeconds });
    samples.io.push({ labels: { server }, value: replication.ioThread === 'Yes' ? 1 : 0 });
    samples.sql.push({ labels: { server }, value: replication.sqlThread === 'Yes' ? 1 : 0 });
  }
  return samples;
}

function replicationOf(view: ServerView) {
  return 'replication' in view ? view.replication : null;
}

/**
 * The failover metrics. Server state, epoch and controls are read at scrape time from the
 * status the operator's route shows (one read per scrape); failovers, and their detection
 * and promotion times, are observed from the events the runner announces.
 *
 * Still to come here once their branches have landed (issue 19): webhook deliveries and
 * pending deliveries, the semi-sync fallback, standby problems and vetoes.
 */
@Injectable()
export class FailoverMetrics {
  private readonly failovers: Counter<'kind' | 'outcome'>;
  private readonly detection: Histogram;
  private readonly promotion: Histogram<'kind'>;
  /** When each running failover started (this process's clock), for its promotion time. */
  private readonly started = new Map<string, Date>();

  constructor(
    metrics: MetricsRegistry,
    status: FailoverStatusService,
    private readonly monitor: FailoverMonitor,
    topology: DatabaseTopology,
    private readonly clock: Clock,
  ) {
    // Several gauges read one status per scrape (it is built from memory: cheap, but not free).
    const current = perScrape(() => {
      const now = status.status();
      return { status: now, samples: serverSamples(now) };
    });
    const perServer = (name: string, help: string, pick: (s: ReturnType<typeof serverSamples>) => Sample<'server'>[]) =>
      metrics.sampledGauge({ name, help, labelNames: ['server'], read: () => pick(current().samples) });
    perServer('logic_ha_server_up', 'Whether the server answered its last heartbeat or status read', (s) => s.up);
    metrics.sampledGauge({
      name: 'logic_ha_server_role',
      help: 'The server’s role: 1 for the current one (primary, standby or fenced), 0 for the others',
      labelNames: ['server', 'role'],
      read: () => current().samples.role,
    });
    perServer(
      'logic_ha_replication_lag_seconds',
      'Seconds_Behind_Master of each standby that reports one',
      (s) => s.lag,
    );
    perServer(
      'logic_ha_replication_io_thread_running',
      '1 while the standby’s replication IO thread runs',
      (s) => s.io,
    );
    perServer(
      'logic_ha_replication_sql_thread_running',
      '1 while the standby’s replication SQL thread runs',
      (s) => s.sql,
    );
    const whenReplicated = (pick: (s: ReplicatedStatus) => number) => () => {
      const now = current().status;
      return now.servers ? [{ value: pick(now) }] : [];
    };
    metrics.sampledGauge({
      name: 'logic_ha_topology_epoch',
      help: 'The topology epoch: incremented on every change of primary',
      read: whenReplicated((s) => s.epoch),
    });
    metrics.sampledGauge({
      name: 'logic_ha_failover_automatic_disabled',
      help: '1 while automatic failover will not act: disabled after a failed failover until acknowledged, or refused by the monitor',
      read: whenReplicated((s) => (s.disabledReason !== null || s.reason !== null ? 1 : 0)),
    });
    metrics.sampledGauge({
      name: 'logic_ha_failover_maintenance',
      help: '1 while an operator has put failover in maintenance',
      read: whenReplicated((s) => (s.maintenance.enabled ? 1 : 0)),
    });
    metrics.sampledGauge({
      name: 'logic_ha_failover_in_progress',
      help: '1 while a failover or switchover runs',
      read: whenReplicated((s) => (s.switching ? 1 : 0)),
    });
    metrics.sampledGauge({
      name: 'logic_ha_failover_since_last_seconds',
      help: 'Seconds since the newest failover or switchover of each kind finished, whatever its outcome',
      labelNames: ['kind'],
      read: () => {
        if (!topology.replicated) return [];
        return KINDS.flatMap((kind) => {
          const newest = topology.state.history.find((record) => record.kind === kind);
          const age = secondsSince(newest?.finishedAt, clock.now());
          return age === undefined ? [] : [{ labels: { kind }, value: age }];
        });
      },
    });
    this.failovers = metrics.counter({
      name: 'logic_ha_failovers_total',
      // Followers see a change through the shared topology and count it too: aggregate nodes with max, not sum.
      help: 'Failovers and switchovers this node saw succeed (it ran them or followed them) or fail, by kind and outcome',
      labelNames: ['kind', 'outcome'],
    });
    for (const kind of KINDS) for (const outcome of ['succeeded', 'failed']) this.failovers.inc({ kind, outcome }, 0);
    this.detection = metrics.histogram({
      name: 'logic_ha_failover_detection_seconds',
      help: 'From the old primary’s last answered heartbeat to the start of the failover',
      buckets: DETECTION_BUCKETS,
    });
    this.promotion = metrics.histogram({
      name: 'logic_ha_failover_promotion_seconds',
      help: 'From the start of a failover or switchover to the new primary taking writes (succeeded ones)',
      labelNames: ['kind'],
      buckets: PROMOTION_BUCKETS,
    });
  }

  @OnAppEvent('db.failover-started')
  onStarted(event: DbFailoverStartedEvent): void {
    const now = this.clock.now();
    this.started.set(event.id, now);
    if (event.kind !== 'failover') return;
    const primary = this.monitor.snapshot().primary;
    const silent = primary?.key === event.oldPrimary ? secondsSince(primary.lastHeartbeatAt, now) : undefined;
    if (silent !== undefined && silent >= 0) this.detection.observe(silent);
  }

  @OnAppEvent('db.primary-changed')
  onChanged(event: DbPrimaryChangedEvent): void {
    this.failovers.inc({ kind: event.kind, outcome: 'succeeded' });
    const started = this.started.get(event.id);
    this.started.delete(event.id);
    if (started)
      this.promotion.observe({ kind: event.kind }, Math.max(0, (event.at.getTime() - started.getTime()) / 1000));
  }

  @OnAppEvent('db.failover-failed')
  onFailed(event: DbFailoverFailedEvent): void {
    this.failovers.inc({ kind: event.kind, outcome: 'failed' });
    this.started.delete(event.id);
  }
}
