import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { messageOf } from '../common/errors/error-message';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { DatabaseTopology } from '../database/topology/database-topology';
import { FailoverKind, FailoverRecord, JournalStep, TopologyState } from '../database/topology/topology-state';
import { FailoverErrorCode } from './failover.errors';
import { withFenceApplied, withJournalStep } from './journal/failover-journal';
import { EpochRecord, RecordedEpoch, ServerProbe } from './probes/server-probe';
import type { StepRecorder } from './promotion/step-recorder';
import { addressOf } from './server-address';

export interface RecordInput {
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

/** The parts every primary change shares: persisting it, moving the standbys, its record. */
@Injectable()
export class TopologyChange {
  private readonly logger = new Logger('Failover');

  constructor(
    private readonly config: AppConfig,
    private readonly topology: DatabaseTopology,
    private readonly probe: ServerProbe,
    private readonly clock: Clock,
  ) {}

  /**
   * Epoch + 1 and the new primary, written before anything uses them. A failover fences the
   * old primary and starts the cooldown; a planned switchover keeps it as a standby and,
   * being deliberate, does not block automatic failover.
   */
  persist(oldPrimary: string, newPrimary: string, kind: FailoverKind): Promise<TopologyState> {
    const now = this.clock.now().toISOString();
    return this.topology.update((state) => ({
      ...state,
      epoch: state.epoch + 1,
      primary: newPrimary,
      fenced:
        kind === 'failover'
          ? [...new Set([...state.fenced.filter((key) => key !== newPrimary), oldPrimary])]
          : state.fenced.filter((key) => key !== newPrimary),
      control: { ...state.control, lastChangeAt: now, acknowledged: kind === 'switchover' },
      // Kept only as this failover's own intent (finished once the new primary accepts writes); any other is void now.
      // Its journal moves past the point of no return in this same write: next, enable-writes.
      pending:
        kind === 'failover' && state.pending?.candidate === newPrimary
          ? { ...state.pending, step: 'enable-writes', stepAt: now }
          : null,
    }));
  }

  /** Stores the intent of a failover before its candidate is touched (see PendingFailover). */
  recordPending(intent: {
    id: string;
    candidate: string;
    oldPrimary: string;
    fencedOldPrimary: boolean;
  }): Promise<TopologyState> {
    const by = this.config.cluster?.nodeId ?? null;
    return this.topology.update((state) => ({
      ...state,
      pending: { ...intent, startedAt: this.clock.now().toISOString(), by, step: 'record-intent' },
    }));
  }

  /**
   * A switchover whose topology names `candidate` but which could not make it writable:
   * an intent past the point of no return (journal at enable-writes), which the monitor
   * finishes (FailoverRunner.finishPersisted) like an interrupted failover's.
   */
  recordUnfinishedSwitchover(intent: { id: string; candidate: string; oldPrimary: string }): Promise<TopologyState> {
    const by = this.config.cluster?.nodeId ?? null;
    const now = this.clock.now().toISOString();
    return this.topology.update((state) => ({
      ...state,
      pending: { ...intent, kind: 'switchover', startedAt: now, by, step: 'enable-writes', stepAt: now },
    }));
  }

  /** Notes in intent `id` that the old primary was fenced (a rollback lifts it); a no-op without this intent. */
  async journalFence(id: string): Promise<void> {
    if (this.topology.state.pending?.id !== id || this.topology.state.pending.fencedOldPrimary) return;
    await this.topology.update((state) => withFenceApplied(state, id));
  }

  /** The failover journal: written before `step` runs (see journal/interrupted-failover.ts); a no-op without this intent. */
  async journal(id: string, step: JournalStep): Promise<void> {
    if (this.topology.state.pending?.id !== id) return;
    await this.topology.update((state) => withJournalStep(state, id, step, this.clock.now()));
  }

  /** Clears the intent (`id`: only that one; null: whichever); a no-op when there is none. */
  async clearPending(id: string | null): Promise<void> {
    const pending = this.topology.state.pending;
    if (!pending || (id !== null && pending.id !== id)) return;
    await this.topology.update((state) => ({ ...state, pending: null }));
  }

  /** Every standby (but `except`) replicates from the new primary; one line per standby. */
  async repointStandbys(newPrimary: string, except: string[] = []): Promise<string[]> {
    const others = this.topology.standbys().filter((s) => !except.includes(s.key));
    if (others.length === 0) return ['no other standby'];
    const account = this.config.replicationAccount;
    if (!account)
      return others.map((s) => `${s.key} left replicating from the old primary: DB_REPLICATION_USER is not set`);
    const source = addressOf(this.topology, newPrimary);
    return Promise.all(
      others.map((s) =>
        this.probe.replicateFrom(addressOf(this.topology, s.key), source, account).then(
          () => `${s.key} replicates from ${newPrimary}`,
          (error: unknown) => `${s.key} not re-pointed: ${messageOf(error)}`,
        ),
      ),
    );
  }

  /**
   * The fencing token on the database side: before a change touches `candidate`, the epoch
   * it records (written by whichever logic-ha promoted the current primary, and replicated)
   * must not be higher than this node's. A higher one means another logic-ha changed the
   * topology since this node read it (a deposed leader, a second single node): the change
   * stops with StaleEpoch. A record that cannot be read (no grant, no table yet) does not
   * stop a failover: it is logged, and the change goes on. Returns what the step records.
   */
  async checkEpoch(candidate: string): Promise<string> {
    const ours = this.topology.epoch;
    let recorded: RecordedEpoch | null;
    try {
      recorded = await this.probe.recordedEpoch(addressOf(this.topology, candidate));
    } catch (error) {
      this.logger.warn({
        msg: 'could not read the recorded epoch; going on',
        server: candidate,
        err: messageOf(error),
      });
      return `recorded epoch not readable (${messageOf(error)}); going on at epoch ${ours}`;
    }
    if (!recorded) return `no epoch recorded (ours ${ours})`;
    if (recorded.epoch > ours) {
      throw new DomainError(
        FailoverErrorCode.StaleEpoch,
        ErrorKind.Conflict,
        `server ${candidate} records epoch ${recorded.epoch} > ours ${ours}: another logic-ha changed the topology; re-read it ` +
          `(recorded ${recorded.recordedAt} by ${recorded.writer ?? `a ${recorded.managedBy} logic-ha`}, primary ${recorded.primary})`,
      );
    }
    return `records epoch ${recorded.epoch} (ours ${ours})`;
  }

  /**
   * Writes the new epoch on the new primary (logic_ha_epoch), through the monitor's admin
   * connection; replication carries it to every standby. A cluster node signs it with its
   * node id; a single node writes managedBy 'single-node', which is how a single node later
   * tells a database it may manage from one a cluster manages.
   */
  async recordEpoch(newPrimary: string, epoch: number): Promise<string> {
    const record: EpochRecord = {
      epoch,
      primary: newPrimary,
      managedBy: this.config.cluster ? 'cluster' : 'single-node',
      writer: this.config.cluster?.nodeId ?? null,
    };
    await this.probe.recordEpoch(addressOf(this.topology, newPrimary), record);
    return `epoch ${epoch} recorded on ${newPrimary} (${record.managedBy}${record.writer ? `, ${record.writer}` : ''})`;
  }

  record(input: RecordInput): FailoverRecord {
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

/** `fo-20261127T051502123Z` / `so-…`: sortable, unique per millisecond (one change at a time). */
export function changeId(kind: FailoverKind, at: Date): string {
  return `${kind === 'failover' ? 'fo' : 'so'}-${at.toISOString().replace(/[-:.]/g, '')}`;
}
