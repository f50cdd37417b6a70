import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { OnAppEvent } from '../common/events/event-bus';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import { secondsSince } from '../common/metrics/scrape-snapshot';
import { Clock } from '../common/time/clock';
import { EtcdCluster } from './etcd/etcd-cluster';
import { Leadership } from './leadership';

/**
 * The cluster metrics (after Patroni's `patroni_master` and `patroni_dcs_last_seen`): whether
 * this node leads, whether any node does, leader changes, and how long ago etcd answered.
 * The etcd gauge exists in cluster mode only: a single node has no etcd to lose.
 */
@Injectable()
export class ClusterMetrics {
  private readonly leaderChanges: Counter;

  constructor(
    metrics: MetricsRegistry,
    leadership: Leadership,
    clock: Clock,
    @Optional() @Inject(EtcdCluster) etcd?: EtcdCluster,
  ) {
    metrics.sampledGauge({
      name: 'logic_ha_cluster_is_leader',
      help: '1 when this node leads (single-node mode: always)',
      read: () => [{ value: leadership.isLeader() ? 1 : 0 }],
    });
    metrics.sampledGauge({
      name: 'logic_ha_cluster_has_leader',
      help: '1 when this node knows a leader; 0 while nobody leads or etcd is out of reach',
      read: () => [{ value: leadership.leader() ? 1 : 0 }],
    });
    this.leaderChanges = metrics.counter({
      name: 'logic_ha_cluster_leader_changes_total',
      help: 'Leader changes this node saw (cluster mode)',
    });
    if (!etcd) return;
    const startedAt = clock.now();
    metrics.sampledGauge({
      name: 'logic_ha_cluster_etcd_last_contact_seconds',
      help: 'Seconds since etcd last answered this node (since start while it never has); cluster mode only',
      read: () => [{ value: secondsSince(etcd.keeper.lastContactAt ?? startedAt, clock.now())! }],
    });
  }

  @OnAppEvent('cluster.leader-changed')
  onLeaderChanged(): void {
    this.leaderChanges.inc();
  }
}
