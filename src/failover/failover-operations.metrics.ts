import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import {
  type DbFailoverVetoedEvent,
  type DbRejoinedEvent,
  type DbSemiSyncChangedEvent,
  type DbStandbyProblemEvent,
} from '../common/events/app-events';
import { OnAppEvent } from '../common/events/event-bus';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import { AcknowledgedPosition } from './guard/acknowledged-position';
import { RejoinService } from './rejoin/rejoin.service';
import { StandbyHealth } from './standby-health/standby-health';

/**
 * The failover operations of issue 18 as metrics: the semi-sync fallback (the zero-loss
 * guard's premise), standby problems and repairs, pre-hook vetoes, rejoins, errant
 * transactions, replica settings changed and promotions that may have lost writes.
 * Gauges are read at scrape time from their owners; counters count the events.
 */
@Injectable()
export class FailoverOperationsMetrics {
  private readonly semiSyncChanges: Counter<'active'>;
  private readonly standbyRepairs: Counter<'server'>;
  private readonly vetoes: Counter;
  private readonly rejoins: Counter<'method'>;
  private readonly errant: Counter<'server'>;
  private readonly replicaChanges: Counter<'server'>;
  private readonly possibleLoss: Counter;

  constructor(
    metrics: MetricsRegistry,
    acknowledged: AcknowledgedPosition,
    standbys: StandbyHealth,
    rejoin: RejoinService,
  ) {
    metrics.sampledGauge({
      name: 'logic_ha_semi_sync_active',
      help: 'Rpl_semi_sync_master_status on the primary at the last heartbeat (0: commits no longer wait for a standby)',
      read: () => {
        const active = acknowledged.semiSync().active;
        return active === null ? [] : [{ value: active ? 1 : 0 }];
      },
    });
    metrics.sampledGauge({
      name: 'logic_ha_standby_problem',
      help: '1 per standby with a reported replication problem (stopped, broken, wrong source, unreachable), by kind',
      labelNames: ['server', 'kind'],
      read: () => standbys.problems().map((p) => ({ labels: { server: p.server, kind: p.kind }, value: 1 })),
    });
    // A gauge, not the counter below: a counter's series first appears at 1, so increase() never sees it.
    metrics.sampledGauge({
      name: 'logic_ha_rejoin_errant',
      help: '1 while a fenced server holds errant transactions (it stays fenced until a person decides), 0 for the other fenced servers the rejoin looked at',
      labelNames: ['server'],
      read: () =>
        [...rejoin.errantByServer()].map(([server, errant]) => ({ labels: { server }, value: errant ? 1 : 0 })),
    });
    this.semiSyncChanges = metrics.counter({
      name: 'logic_ha_semi_sync_changes_total',
      help: 'Semi-sync on the primary switched off (active="false": fell back to async) or back on',
      labelNames: ['active'],
    });
    this.standbyRepairs = metrics.counter({
      name: 'logic_ha_standby_repairs_total',
      help: 'Standby problems logic-ha repaired (replication restarted or re-pointed)',
      labelNames: ['server'],
    });
    this.vetoes = metrics.counter({
      name: 'logic_ha_failover_vetoes_total',
      help: 'Automatic failovers FAILOVER_PRE_HOOK vetoed',
    });
    this.rejoins = metrics.counter({
      name: 'logic_ha_rejoins_total',
      help: 'Fenced servers returned to the topology as standbys, by method (replication or reclone)',
      labelNames: ['method'],
    });
    this.errant = metrics.counter({
      name: 'logic_ha_errant_transactions_found_total',
      help: 'Fenced servers found holding transactions the primary lacks (each discovery once)',
      labelNames: ['server'],
    });
    this.replicaChanges = metrics.counter({
      name: 'logic_ha_replica_configuration_changes_total',
      help: 'Times FAILOVER_CONFIGURE_REPLICAS changed a server’s replication settings',
      labelNames: ['server'],
    });
    this.possibleLoss = metrics.counter({
      name: 'logic_ha_failover_possible_loss_total',
      help: 'Failovers that promoted a standby lacking possibly acknowledged writes (FAILOVER_ALLOW_LOSS=true)',
    });
  }

  @OnAppEvent('db.semi-sync-changed')
  onSemiSync(event: DbSemiSyncChangedEvent): void {
    this.semiSyncChanges.inc({ active: String(event.active) });
  }

  @OnAppEvent('db.standby-problem')
  onStandbyProblem(event: DbStandbyProblemEvent): void {
    if (event.repaired) this.standbyRepairs.inc({ server: event.server });
  }

  @OnAppEvent('db.failover-vetoed')
  onVetoed(_event: DbFailoverVetoedEvent): void {
    this.vetoes.inc();
  }

  @OnAppEvent('db.rejoined')
  onRejoined(event: DbRejoinedEvent): void {
    this.rejoins.inc({ method: event.method });
  }

  @OnAppEvent('db.errant-transactions')
  onErrant(event: { server: string }): void {
    this.errant.inc({ server: event.server });
  }

  @OnAppEvent('db.replica-configured')
  onReplicaConfigured(event: { server: string }): void {
    this.replicaChanges.inc({ server: event.server });
  }

  @OnAppEvent('db.possible-loss')
  onPossibleLoss(): void {
    this.possibleLoss.inc();
  }
}
