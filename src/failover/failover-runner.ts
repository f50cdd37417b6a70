import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { EventBus } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { DataSourceSwitch } from '../database/data-source-switch';
import { DatabaseTopology } from '../database/topology/database-topology';
import { FailoverKind, FailoverRecord, TopologyState } from '../database/topology/topology-state';
import { FailoverHistoryService } from './failover-history.service';
import { FailoverErrorCode } from './failover.errors';
import { ServerProbe } from './probes/server-probe';
import { chooseCandidate } from './promotion/candidate';
import { Promoter } from './promotion/promoter';
import { FailoverStepError, StepRecorder } from './promotion/step-recorder';
import { addressOf } from './server-address';

/**
 * One failover, start to end: the app's pool is closed first (nothing more reaches the old
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
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  get inProgress(): boolean {
    return this.running;
  }

  async failover(reason: string): Promise<FailoverRecord> {
    if (this.running) throw new DomainError(FailoverErrorCode.InProgress, ErrorKind.Conflict, 'a failover is already running');
    this.running = true;
    try {
      return await this.run('failover', reason);
    } finally {
      this.running = false;
    }
  }

  private async run(kind: FailoverKind, reason: string): Promise<FailoverRecord> {
    const startedAt = this.clock.now();
    const id = failoverId(startedAt);
    const oldPrimary = this.topology.primaryKey;
    const epochBefore = this.topology.epoch;
    this.logger.warn({ msg: 'failover started', failoverId: id, oldPrimary, epoch: epochBefore, reason });
    this.events.emit('db.failover-started', { id, kind, epoch: epochBefore, oldPrimary, reason });
    const steps = new StepRecorder(this.logger, id, () => this.clock.now());
    let newPrimary: string | null = null;
    try {
      await steps.run('close-app-pool', () => this.dataSource.close());
      await steps.run('fence-old-primary', () => this.probe.setReadOnly(addressOf(this.topology, oldPrimary), true), { optional: true });
      newPrimary = await this.chooseAndPromote(steps);
      const state = (await steps.run('persist-topology', () => this.persistChange(oldPrimary, newPrimary!), { detail: (s) => `epoch ${s.epoch}` }))!;
      await steps.run('repoint-app', () => this.dataSource.open(this.topology.primaryEndpoint()), { optional: true });
      await steps.run('repoint-standbys', () => this.repointStandbys(newPrimary!), { optional: true, detail: (lines) => lines.join('; ') });
      const record = this.record({ id, kind, reason, startedAt, oldPrimary, newPrimary, epoch: state.epoch, steps, error: null });
      await this.history.record(record);
      this.logger.warn({ msg: 'failover done', failoverId: id, oldPrimary, newPrimary, epoch: state.epoch, tookMs: durationOf(record) });
      this.events.emit('db.primary-changed', { id, kind, epoch: state.epoch, oldPrimary, newPrimary: newPrimary!, at: this.clock.now() });
      return record;
    } catch (error) {
      return this.failed({ id, kind, reason, startedAt, oldPrimary, epoch: epochBefore, steps, error });
    }
  }

  private async chooseAndPromote(steps: StepRecorder): Promise<string> {
    const choice = (await steps.run('choose-candidate', () => this.chooseCandidate(), { detail: (key) => key }))!;
    await new Promoter(this.probe, this.config.failover.applyTimeoutMs).promote(addressOf(this.topology, choice), steps);
    return choice;
  }

  private async chooseCandidate(): Promise<string> {
    const standbys = this.topology.standbys();
    const statuses = await Promise.all(standbys.map((s) => this.probe.replicaStatus(addressOf(this.topology, s.key)).catch(() => null)));
    const choice = chooseCandidate(standbys.map((s, i) => ({ key: s.key, status: statuses[i] })));
    if (choice.key === null) throw new DomainError(FailoverErrorCode.NoCandidate, ErrorKind.Conflict, `no standby can be promoted: ${choice.reason}`);
    return choice.key;
  }

  private persistChange(oldPrimary: string, newPrimary: string): Promise<TopologyState> {
    const now = this.clock.now().toISOString();
    return this.topology.update((state) => ({
      ...state,
      epoch: state.epoch + 1,
      primary: newPrimary,
      fenced: [...new Set([...state.fenced.filter((key) => key !== newPrimary), oldPrimary])],
      control: { ...state.control, lastChangeAt: now, acknowledged: false },
    }));
  }

  /** The remaining standbys still point at the old primary: they follow the new one. */
  private async repointStandbys(newPrimary: string): Promise<string[]> {
    const others = this.topology.standbys();
    if (others.length === 0) return ['no other standby'];
    const account = this.config.replicationAccount;
    if (!account) return others.map((s) => `${s.key} left replicating from the old primary: DB_REPLICATION_USER is not set`);
    const source = addressOf(this.topology, newPrimary);
    return Promise.all(
      others.map((s) =>
        this.probe.replicateFrom(addressOf(this.topology, s.key), source, account).then(
          () => `${s.key} replicates from ${newPrimary}`,
          (error: unknown) => `${s.key} not re-pointed: ${error instanceof Error ? error.message : String(error)}`,
        ),
      ),
    );
  }

  private async failed(input: Omit<RecordInput, 'newPrimary' | 'error'> & { error: unknown }): Promise<FailoverRecord> {
    const step = input.error instanceof FailoverStepError ? input.error.step : 'unknown';
    const message = input.error instanceof Error ? input.error.message : String(input.error);
    const record = this.record({ ...input, newPrimary: null, error: message });
    await this.topology.update((state) => ({ ...state, control: { ...state.control, disabledReason: `${input.kind} ${input.id} failed at ${message}` } }));
    await this.history.record(record).catch((error: unknown) => this.logger.error({ msg: 'failover record not saved', err: String(error) }));
    this.logger.error({ msg: 'failover failed; automatic failover disabled until acknowledged', failoverId: input.id, step, err: message });
    this.events.emit('db.failover-failed', { id: input.id, kind: input.kind, epoch: input.epoch, oldPrimary: input.oldPrimary, step, reason: message });
    // The topology did not change: the pool goes back to the primary (the monitor retries while it is down).
    await this.dataSource.open(this.topology.primaryEndpoint()).catch(() => undefined);
    return record;
  }

  private record(input: RecordInput): FailoverRecord {
    return {
      id: input.id,
      kind: input.kind,
      reason: input.reason,
      startedAt: input.startedAt.toISOString(),
      finishedAt: this.clock.now().toISOString(),
      oldPrimary: input.oldPrimary,
      newPrimary: input.newPrimary,
      epoch: input.epoch,
      outcome: input.error === null ? 'succeeded' : 'failed',
      steps: input.steps.steps,
      error: input.error,
    };
  }
}

interface RecordInput {
  id: string;
  kind: FailoverKind;
  reason: string;
  startedAt: Date;
  oldPrimary: string;
  newPrimary: string | null;
  epoch: number;
  steps: StepRecorder;
  error: string | null;
}

/** `fo-20261127T051502123Z`: sortable, unique per millisecond (one failover at a time). */
function failoverId(at: Date): string {
  return `fo-${at.toISOString().replace(/[-:.]/g, '')}`;
}

function durationOf(record: FailoverRecord): number {
  return Date.parse(record.finishedAt) - Date.parse(record.startedAt);
}
