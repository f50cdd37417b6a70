import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { EventBus } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { DataSourceSwitch } from '../database/data-source-switch';
import { DatabaseTopology } from '../database/topology/database-topology';
import { FailoverRecord } from '../database/topology/topology-state';
import { FailoverHistoryService } from './failover-history.service';
import { FailoverErrorCode } from './failover.errors';
import { ServerProbe } from './probes/server-probe';
import { chooseCandidate } from './promotion/candidate';
import { Promoter } from './promotion/promoter';
import { FailoverStepError, StepRecorder } from './promotion/step-recorder';
import { addressOf } from './server-address';
import { SwitchoverProcedure } from './switchover.procedure';
import { TopologyChange, changeId } from './topology-change';

/**
 * One primary change at a time, automatic (failover) or planned (switchover).
 *
 * A failover, start to end: the app's pool is closed first (nothing more reaches the old
 * primary from here), the most advanced standby is promoted, the new topology (epoch + 1,
 * old primary fenced) is persisted, the pool reopens on the new primary, the other
 * standbys follow it, and clients hear `db.primary-changed`. A failure at any step before
 * the topology changed emits `db.failover-failed` and disables automatic failover until
 * an operator acknowledges.
 */
@Injectable()
export class FailoverRunner {
  private readonly logger = new Logger('Failover');
  private running = false;

  constructor(
    private readonly config: AppConfig,
    private readonly topology: DatabaseTopology,
    private readonly probe: ServerProbe,
    private readonly dataSource: DataSourceSwitch,
    private readonly history: FailoverHistoryService,
    private readonly change: TopologyChange,
    private readonly switchoverProcedure: SwitchoverProcedure,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  get inProgress(): boolean {
    return this.running;
  }

  failover(reason: string): Promise<FailoverRecord> {
    return this.exclusive(() => this.runFailover(reason));
  }

  /** A planned change to `target` (default: the most advanced standby); see SwitchoverProcedure. */
  switchover(target?: string): Promise<FailoverRecord> {
    return this.exclusive(() => this.switchoverProcedure.run(target));
  }

  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.running) throw new DomainError(FailoverErrorCode.InProgress, ErrorKind.Conflict, 'a failover or switchover is already running');
    this.running = true;
    try {
      return await work();
    } finally {
      this.running = false;
    }
  }

  private async runFailover(reason: string): Promise<FailoverRecord> {
    const kind = 'failover';
    const startedAt = this.clock.now();
    const id = changeId(kind, startedAt);
    const oldPrimary = this.topology.primaryKey;
    const epochBefore = this.topology.epoch;
    this.logger.warn({ msg: 'failover started', failoverId: id, oldPrimary, epoch: epochBefore, reason });
    this.events.emit('db.failover-started', { id, kind, epoch: epochBefore, oldPrimary, reason });
    const steps = new StepRecorder(this.logger, id, () => this.clock.now());
    try {
      await steps.run('close-app-pool', () => this.dataSource.close());
      await steps.run('fence-old-primary', () => this.probe.setReadOnly(addressOf(this.topology, oldPrimary), true), { optional: true });
      const newPrimary = (await steps.run('choose-candidate', () => this.chooseCandidate(), { detail: (key) => key }))!;
      await new Promoter(this.probe, this.config.failover.applyTimeoutMs).promote(addressOf(this.topology, newPrimary), steps);
      const state = (await steps.run('persist-topology', () => this.change.persist(oldPrimary, newPrimary, kind), { detail: (s) => `epoch ${s.epoch}` }))!;
      await steps.run('repoint-app', () => this.dataSource.open(this.topology.primaryEndpoint()), { optional: true });
      await steps.run('repoint-standbys', () => this.change.repointStandbys(newPrimary), { optional: true, detail: (lines) => lines.join('; ') });
      const record = this.change.record({ id, kind, reason, startedAt, oldPrimary, newPrimary, epoch: state.epoch, steps, error: null });
      await this.history.record(record);
      this.logger.warn({ msg: 'failover done', failoverId: id, oldPrimary, newPrimary, epoch: state.epoch, tookMs: Date.parse(record.finishedAt) - startedAt.getTime() });
      this.events.emit('db.primary-changed', { id, kind, epoch: state.epoch, oldPrimary, newPrimary, at: this.clock.now() });
      return record;
    } catch (error) {
      const step = error instanceof FailoverStepError ? error.step : 'unknown';
      const message = error instanceof Error ? error.message : String(error);
      const record = this.change.record({ id, kind, reason, startedAt, oldPrimary, newPrimary: null, epoch: epochBefore, steps, error: message });
      await this.topology.update((state) => ({ ...state, control: { ...state.control, disabledReason: `${kind} ${id} failed at ${message}` } }));
      await this.history.record(record).catch((failure: unknown) => this.logger.error({ msg: 'failover record not saved', err: String(failure) }));
      this.logger.error({ msg: 'failover failed; automatic failover disabled until acknowledged', failoverId: id, step, err: message });
      this.events.emit('db.failover-failed', { id, kind, epoch: epochBefore, oldPrimary, step, reason: message });
      // The topology did not change: the pool goes back to the primary (the monitor retries while it is down).
      await this.dataSource.open(this.topology.primaryEndpoint()).catch(() => undefined);
      return record;
    }
  }

  private async chooseCandidate(): Promise<string> {
    const standbys = this.topology.standbys();
    const statuses = await Promise.all(standbys.map((s) => this.probe.replicaStatus(addressOf(this.topology, s.key)).catch(() => null)));
    const choice = chooseCandidate(standbys.map((s, i) => ({ key: s.key, status: statuses[i] })));
    if (choice.key === null) throw new DomainError(FailoverErrorCode.NoCandidate, ErrorKind.Conflict, `no standby can be promoted: ${choice.reason}`);
    return choice.key;
  }
}
