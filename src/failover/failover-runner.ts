import { Injectable, Logger } from '@nestjs/common';
import { Leadership } from '../cluster';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { messageOf } from '../common/errors/error-message';
import { EventBus } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import { DatabaseTopology } from '../database/topology/database-topology';
import { FailoverRecord, PendingFailover } from '../database/topology/topology-state';
import { AppPool } from './app-pool';
import { AutomaticFailover } from './automatic-failover';
import { FailoverHistoryService } from './failover-history.service';
import { FailoverErrorCode } from './failover.errors';
import { ZeroLossGuard } from './guard/zero-loss-guard';
import { ServerAddress, ServerProbe } from './probes/server-probe';
import { Promoter } from './promotion/promoter';
import { FailoverStepError, StepRecorder } from './promotion/step-recorder';
import { addressOf } from './server-address';
import { SwitchoverProcedure } from './switchover.procedure';
import { TopologyChange, changeId } from './topology-change';

/** How far a failover got, so a failure undoes exactly what was done. */
interface Progress {
  fencedOld: boolean;
  candidate: string | null;
  ioStopped: boolean;
  /** A stop was sent: it may have gone through even when it reported an error (a lost connection). */
  ioStopSent: boolean;
  detached: boolean;
  persisted: boolean;
}

/** How long a failover or switchover waits for a repair or configuration pass holding the lock. */
const SIDE_WORK_WAIT_MS = 30_000;

/**
 * One primary change at a time, automatic (failover) or planned (switchover).
 *
 * A failover: the app's pool is closed first (nothing more reaches the old primary from
 * here); a standby somebody already promoted (another node, or this one before a crash)
 * is adopted, otherwise the most advanced one is checked (it must not record a higher
 * epoch than this node's: another logic-ha changed the topology) and prepared (relay log
 * applied, detached, still read-only); the new topology (epoch + 1, old primary fenced) is
 * persisted; only then does the new primary accept writes; the pool reopens there, the
 * other standbys follow, clients hear `db.primary-changed`, and the new epoch is recorded
 * on the new primary (logic_ha_epoch), from where it replicates to every standby. A failure before the
 * topology is persisted undoes what was done so far, emits `db.failover-failed` and disables automatic
 * failover until acknowledged; one after it (enable-writes) leaves the intent for the monitor to finish (leftPending).
 */
@Injectable()
export class FailoverRunner {
  private readonly logger = new Logger('Failover');
  private running = false;

  constructor(
    private readonly topology: DatabaseTopology,
    private readonly probe: ServerProbe,
    private readonly pool: AppPool,
    private readonly history: FailoverHistoryService,
    private readonly change: TopologyChange,
    private readonly switchoverProcedure: SwitchoverProcedure,
    private readonly promoter: Promoter,
    private readonly automatic: AutomaticFailover,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly leadership: Leadership,
    private readonly guard: ZeroLossGuard,
  ) {}

  get inProgress(): boolean {
    // A repair or configuration pass (tryExclusive) holds the flag but is no primary change: readiness stays up.
    return this.running && this.sideWork === null;
  }

  failover(reason: string): Promise<FailoverRecord> {
    return this.exclusive(() => this.runFailover(reason));
  }

  /**
   * Finishes a failover another leader left after persisting it: the topology names the
   * candidate as primary but it may still be read-only. Writes enabled, the pool and the
   * standbys re-pointed, the intent cleared.
   */
  finishPersisted(pending: PendingFailover): Promise<void> {
    return this.exclusive(async () => {
      const steps = new StepRecorder(
        this.logger,
        pending.id,
        () => this.clock.now(),
        () => this.leadership.assertLeader(`finishing failover ${pending.id}`),
      );
      this.logger.warn({
        msg: 'finishing a failover another leader left part-way',
        failoverId: pending.id,
        by: pending.by,
      });
      const kind = pending.kind ?? 'failover';
      await this.promoter.enableWrites(this.address(pending.candidate), steps);
      await steps.run('repoint-app', () => this.pool.reopenOnPrimary(), { optional: true });
      await this.change.journal(pending.id, 'repoint-standbys');
      // A switchover's old primary follows the new one already (from its current_pos): left as it is.
      const except = kind === 'switchover' ? [pending.oldPrimary] : [];
      await steps.run('repoint-standbys', () => this.change.repointStandbys(pending.candidate, except), {
        optional: true,
      });
      const epoch = this.topology.epoch;
      this.events.emit('db.primary-changed', {
        id: pending.id,
        kind,
        epoch,
        oldPrimary: pending.oldPrimary,
        newPrimary: pending.candidate,
        at: this.clock.now(),
      });
      await this.recordEpoch(pending.candidate, epoch, steps);
      await steps.run('clear-intent', () => this.change.clearPending(pending.id), { optional: true });
    });
  }

  /**
   * The primary answers again while an interrupted failover's candidate is still a
   * standby: the candidate goes back to replicating from it (detached: re-pointed; only its
   * IO thread stopped: restarted) and the intent is cleared.
   */
  abandonPending(pending: PendingFailover): Promise<void> {
    return this.exclusive(async () => {
      // Guarded like a failover: a leader paused here must not re-point a server the next one promoted.
      const steps = new StepRecorder(
        this.logger,
        pending.id,
        () => this.clock.now(),
        () => this.leadership.assertLeader(`abandoning failover ${pending.id}`),
      );
      const others = this.topology
        .standbys()
        .filter((s) => s.key !== pending.candidate)
        .map((s) => s.key);
      const back = await steps.run(
        'candidate-follows-primary',
        async () =>
          (await this.detached(pending.candidate))
            ? (await this.change.repointStandbys(this.topology.primaryKey, others)).join('; ')
            : // Both threads: the interrupted failover may have stopped more than the IO thread (STOP SLAVE of a detach).
              this.probe.startReplica(this.address(pending.candidate)).then(() => 'replication restarted'),
        { optional: true, detail: (line) => line },
      );
      const rolledBack = back !== undefined && !back.includes('not re-pointed');
      // The interrupted run set the old primary read-only: with the candidate following it again, it is the primary as before.
      if (rolledBack && pending.fencedOldPrimary)
        await steps.run('lift-fence', () => this.probe.setReadOnly(this.address(pending.oldPrimary), false), {
          optional: true,
        });
      // The primary serves again: the intent is cleared either way; a candidate left detached is an operator's.
      await steps.run('clear-intent', () => this.change.clearPending(pending.id));
      if (!rolledBack)
        await this.automatic.disable(
          `failover ${pending.id} was interrupted and the primary came back, but ${pending.candidate} could not follow it again: re-attach it, then acknowledge`,
        );
      this.logger.warn({
        msg: 'an interrupted failover was abandoned: the primary is back',
        failoverId: pending.id,
        candidate: back ?? 'not re-attached',
      });
    });
  }

  /** An intent about a primary that is no longer the topology's (an operator or another leader moved on): cleared, nothing touched. */
  discardPending(pending: PendingFailover): Promise<void> {
    return this.exclusive(async () => {
      this.logger.warn({
        msg: 'an interrupted failover no longer applies: its intent is cleared',
        failoverId: pending.id,
      });
      await this.change.clearPending(pending.id);
    });
  }

  /** A planned change to `target` (default: the most advanced standby); see SwitchoverProcedure. */
  switchover(target?: string): Promise<FailoverRecord> {
    return this.exclusive(() => this.switchoverProcedure.run(target));
  }

  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.leadership.assertLeader('a failover or switchover');
    // A repair or configuration pass is short: a primary change waits for it rather than failing.
    const deadline = Date.now() + SIDE_WORK_WAIT_MS;
    while (this.running && this.sideWorkDone && Date.now() < deadline) {
      await Promise.race([this.sideWorkDone, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
    if (this.running)
      throw new DomainError(
        FailoverErrorCode.InProgress,
        ErrorKind.Conflict,
        'a failover or switchover is already running',
      );
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
    // Every step asks again: a leader paused or cut off mid-failover stops at the next step.
    const steps = new StepRecorder(
      this.logger,
      id,
      () => this.clock.now(),
      () => this.leadership.assertLeader(`failover ${id}`),
    );
    const progress: Progress = {
      fencedOld: false,
      candidate: null,
      ioStopped: false,
      ioStopSent: false,
      detached: false,
      persisted: false,
    };
    const record = (newPrimary: string | null, epoch: number, error: string | null) =>
      this.change.record({ id, kind, reason, startedAt, oldPrimary, newPrimary, epoch, steps, error });
    try {
      await steps.run('close-app-pool', () => this.pool.close({ abandon: true }));
      // Best effort: the old primary is usually down, so this step failing is the normal case (a warning).
      progress.fencedOld =
        (await steps.run(
          'fence-old-primary',
          () => this.probe.setReadOnly(this.address(oldPrimary), true).then(() => true),
          { optional: true, expectedToFail: true },
        )) ?? false;
      // Another leader's unfinished failover names its candidate: finish on that one (and its journal).
      const resumed = this.resumableCandidate();
      const journalId = resumed ? (this.topology.state.pending?.id ?? id) : id;
      // A new intent records the fence itself (record-intent, below); a resumed one is told now.
      if (resumed && progress.fencedOld) await this.change.journalFence(journalId);
      const adopted = resumed
        ? null
        : await steps.run('find-promoted-standby', () => this.alreadyPromoted(), { detail: (key) => key ?? 'none' });
      const newPrimary =
        resumed ??
        adopted ??
        (await steps.run('choose-candidate', () => this.chooseCandidate(), { detail: (key) => key }));
      progress.candidate = newPrimary;
      if (!adopted) {
        // A standby promoted already is adopted as it is (nothing changes on it); one to promote is checked first.
        await steps.run('check-epoch', () => this.change.checkEpoch(newPrimary), { detail: (d) => d });
        if (!resumed)
          await steps.run('record-intent', () =>
            this.change.recordPending({ id, candidate: newPrimary, oldPrimary, fencedOldPrimary: progress.fencedOld }),
          );
        if (resumed && (await this.detached(newPrimary))) progress.detached = true;
        else await this.prepare({ failover: id, journal: journalId }, newPrimary, steps, progress);
      }
      await this.change.journal(journalId, 'persist-topology');
      const state = await steps.run('persist-topology', () => this.change.persist(oldPrimary, newPrimary, kind), {
        detail: (s) => `epoch ${s.epoch}`,
      });
      progress.persisted = true;
      const writable = adopted
        ? true
        : await this.promoter.enableWrites(this.address(newPrimary), steps).then(
            () => true,
            (error: unknown) => error,
          );
      await steps.run('repoint-app', () => this.pool.reopenOnPrimary(), { optional: true });
      if (writable !== true)
        return await this.leftPending({ id, kind, oldPrimary, newPrimary, epoch: state.epoch }, record, writable);
      await this.change.journal(journalId, 'repoint-standbys');
      await steps.run('repoint-standbys', () => this.change.repointStandbys(newPrimary), {
        optional: true,
        detail: (lines) => lines.join('; '),
      });
      this.events.emit('db.primary-changed', {
        id,
        kind,
        epoch: state.epoch,
        oldPrimary,
        newPrimary,
        at: this.clock.now(),
      });
      // Last, once the app and the standbys are on the new primary: with semi-sync this commit
      // may wait for a standby's acknowledgement, and nothing else should wait for it.
      if (!adopted) await this.recordEpoch(newPrimary, state.epoch, steps);
      await steps.run('clear-intent', () => this.change.clearPending(null), { optional: true });
      const done = record(newPrimary, state.epoch, null);
      await this.history.record(done);
      this.logger.warn({
        msg: 'failover done',
        failoverId: id,
        oldPrimary,
        newPrimary,
        epoch: state.epoch,
        tookMs: Date.parse(done.finishedAt) - startedAt.getTime(),
      });
      return done;
    } catch (error) {
      if (!this.leadership.isLeader()) return this.deposed(id, record, error);
      await this.undo(progress, oldPrimary, steps);
      // Undone (or left for an operator, with automatic failover disabled): nothing for a next leader to finish.
      // Once persisted, the intent is what finishes it (the monitor's finishPersisted): it stays.
      if (!progress.persisted) await this.change.clearPending(null).catch(() => undefined);
      const failed = record(progress.persisted ? progress.candidate : null, this.topology.epoch, messageOf(error));
      await this.automatic.disable(`${kind} ${id} failed at ${messageOf(error)}`);
      await this.history.record(failed);
      const step = error instanceof FailoverStepError ? error.step : 'unknown';
      this.logger.error({
        msg: 'failover failed; automatic failover disabled until acknowledged',
        failoverId: id,
        step,
        err: messageOf(error),
      });
      this.events.emit('db.failover-failed', {
        id,
        kind,
        epoch: this.topology.epoch,
        oldPrimary,
        step,
        reason: messageOf(error),
      });
      return failed;
    }
  }

  /**
   * Past the point of no return, the new primary could not be made writable: nothing is
   * undone (the topology names it, the old primary is fenced) and the intent stays, its
   * journal at enable-writes, so the monitor finishes it (finishPersisted, retried at each
   * heartbeat by the leader) and only then tells clients `db.primary-changed`. Automatic
   * failover stays enabled: this failover is not over, and a new one replaces a new primary that dies.
   */
  private async leftPending(
    change: { id: string; kind: 'failover'; oldPrimary: string; newPrimary: string; epoch: number },
    record: (newPrimary: string | null, epoch: number, error: string | null) => FailoverRecord,
    error: unknown,
  ): Promise<FailoverRecord> {
    const { id, kind, oldPrimary, newPrimary, epoch } = change;
    if (!this.leadership.isLeader()) return this.deposed(id, record, error);
    const reason =
      `${messageOf(error)}; ${newPrimary} is the primary (epoch ${epoch}) but read-only: writes get 503 until it ` +
      `accepts them; the failover stays pending at enable-writes and is retried at each heartbeat`;
    const failed = record(newPrimary, epoch, reason);
    await this.history.record(failed);
    this.logger.error({ msg: 'failover persisted but not finished: pending', failoverId: id, err: reason });
    this.events.emit('db.failover-failed', { id, kind, epoch, oldPrimary, step: 'enable-writes', reason });
    return failed;
  }

  /**
   * This node lost the leadership part-way: the servers, the topology and the history now
   * belong to the new leader, which adopts a standby this one promoted. Nothing is undone
   * or written from here; the record is only returned and logged.
   */
  private deposed(
    id: string,
    record: (newPrimary: string | null, epoch: number, error: string | null) => FailoverRecord,
    error: unknown,
  ): FailoverRecord {
    this.logger.error({
      msg: 'failover abandoned: this node no longer leads the cluster; the new leader takes over',
      failoverId: id,
      err: messageOf(error),
    });
    return record(null, this.topology.epoch, `abandoned: ${messageOf(error)}`);
  }

  /** Optional: a server without the table or the grant is still the primary; the step says why not. */
  private async recordEpoch(newPrimary: string, epoch: number, steps: StepRecorder): Promise<void> {
    await steps.run('record-epoch', () => this.change.recordEpoch(newPrimary, epoch), {
      optional: true,
      detail: (d) => d,
    });
  }

  /** The candidate of an unfinished failover, when it is still a standby here; null otherwise. */
  private resumableCandidate(): string | null {
    const pending = this.topology.state.pending;
    // Only an intent about the primary failing now: an older one names a candidate that may be far behind.
    if (!pending || pending.oldPrimary !== this.topology.primaryKey) return null;
    return this.topology.standbys().some((s) => s.key === pending.candidate) ? pending.candidate : null;
  }

  /** Detached by the failover that was interrupted: its relay log was applied before it let go of the old primary. */
  private async detached(candidate: string): Promise<boolean> {
    return (await this.probe.replicaStatus(this.address(candidate))) === null;
  }

  /**
   * The guard's wait, then each half journaled before it runs (see journal/interrupted-failover.ts).
   * `journal` is the intent's id: a resumed failover journals under the one it resumes.
   */
  private async prepare(
    ids: { failover: string; journal: string },
    candidate: string,
    steps: StepRecorder,
    progress: Progress,
  ): Promise<void> {
    const address = this.address(candidate);
    // Before its IO thread stops: what it still lacks can only reach it while it receives.
    await steps.run('await-acknowledged', () => this.guard.awaitAcknowledged(ids.failover, address), {
      detail: (d) => d,
    });
    await this.change.journal(ids.journal, 'stop-io-thread');
    progress.ioStopSent = true;
    await this.promoter.stopReceiving(address, steps);
    // Only once it is stopped: undo() restarts a thread this failover stopped, never one it could not.
    progress.ioStopped = true;
    await this.change.journal(ids.journal, 'detach-from-old-primary');
    await this.promoter.applyAndDetach(address, steps);
    progress.detached = true;
  }

  /**
   * Puts back what a failed failover changed before its topology was persisted: the
   * candidate resumes replicating (or, once detached, stays read-only for an operator), the
   * old primary's fence is lifted, and the pool returns to the primary of the topology
   * (the monitor keeps retrying while that one is down).
   */
  private async undo(progress: Progress, oldPrimary: string, steps: StepRecorder): Promise<void> {
    if (
      !progress.persisted &&
      progress.candidate &&
      !progress.detached &&
      (await this.stoppedByThisFailover(progress))
    ) {
      await steps.run('undo-resume-candidate', () => this.probe.startReplicaIo(this.address(progress.candidate!)), {
        optional: true,
      });
    }
    if (!progress.persisted && progress.fencedOld) {
      await steps.run('undo-fence', () => this.probe.setReadOnly(this.address(oldPrimary), false), { optional: true });
    }
    await this.pool.reopenOnPrimary().catch(() => undefined);
  }

  /**
   * Whether the candidate's IO thread is down because of this failover: stopped for sure, or
   * a stop that reported an error but went through (asked; an unanswered question counts as
   * yes, since restarting a running IO thread only warns). A thread still running is left alone.
   */
  private async stoppedByThisFailover(progress: Progress): Promise<boolean> {
    if (progress.ioStopped) return true;
    if (!progress.ioStopSent || !progress.candidate) return false;
    const status = await this.probe.replicaStatus(this.address(progress.candidate)).catch(() => undefined);
    return status === undefined || status === null || status.ioRunning !== 'Yes';
  }

  /** A standby that is detached and writable was promoted already (another node, or this one before a crash): adopt it. */
  private async alreadyPromoted(): Promise<string | null> {
    const standbys = this.topology.standbys();
    const promoted = await Promise.all(
      standbys.map(async (s) => {
        const address = this.address(s.key);
        const [status, readOnly] = await Promise.all([
          this.probe.replicaStatus(address),
          this.probe.readOnly(address),
        ]).catch(() => [undefined, true] as const);
        return status === null && readOnly === false ? s.key : null;
      }),
    );
    const found = promoted.filter((key): key is string => key !== null);
    if (found.length > 1)
      throw new DomainError(
        FailoverErrorCode.NoCandidate,
        ErrorKind.Conflict,
        `several standbys are already writable primaries: ${found.join(', ')}`,
      );
    return found[0] ?? null;
  }

  private async chooseCandidate(): Promise<string> {
    const standbys = this.topology.standbys();
    const statuses = await Promise.all(
      standbys.map((s) => this.probe.replicaStatus(this.address(s.key)).catch(() => null)),
    );
    const choice = this.guard.choose(standbys.map((s, i) => ({ key: s.key, status: statuses[i] })));
    if (choice.key === null)
      throw new DomainError(
        FailoverErrorCode.NoCandidate,
        ErrorKind.Conflict,
        `no standby can be promoted: ${choice.reason}`,
      );
    return choice.key;
  }

  private address(key: string): ServerAddress {
    return addressOf(this.topology, key);
  }

  /**
   * Runs `work` (a standby repair, a replica configuration pass) under the same flag as
   * failovers and switchovers, so they never overlap: undefined, without running it, when
   * one of them (or another such work) runs; a switchover asked for meanwhile gets the
   * usual 409. Only the leader acts: a deposed one throws (Leadership.assertLeader).
   */
  async tryExclusive<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    if (this.running) return undefined;
    this.leadership.assertLeader(what);
    this.running = true;
    this.sideWork = what;
    let done!: () => void;
    this.sideWorkDone = new Promise<void>((resolve) => (done = resolve));
    try {
      return await work();
    } finally {
      this.running = false;
      this.sideWork = null;
      this.sideWorkDone = null;
      done();
    }
  }

  /** What tryExclusive runs now; null: nothing, or a failover/switchover (see inProgress). */
  private sideWork: string | null = null;
  /** Settles when the running repair or configuration pass ends (exclusive() waits for it). */
  private sideWorkDone: Promise<void> | null = null;
}
