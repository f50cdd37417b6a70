import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { messageOf } from '../../common/errors/error-message';
import { EventBus } from '../../common/events/event-bus';
import { Clock } from '../../common/time/clock';
import { AppConfig } from '../../config/app-config';
import { DatabaseTopology } from '../../database/topology/database-topology';
import { FailoverRunner } from '../failover-runner';
import { FailoverErrorCode } from '../failover.errors';
import { Fencer } from '../fencer';
import { type ErrantFinding, type RejoinMethod, type RejoinOutcome, RejoinProcedure } from './rejoin.procedure';
import { isUnreachable } from './unreachable';

/** What status shows of a fenced server's rejoin. */
export interface RejoinView {
  /** idle: nothing tried yet; rejoining: a rejoin or reclone runs; errant: it holds transactions the primary lacks; failed: the last try failed. */
  state: 'idle' | 'rejoining' | 'errant' | 'failed';
  autoRejoin: boolean;
  lastAttemptAt: string | null;
  /** When the automatic rejoin tries again; null when it does not (off, or a reclone is running). */
  nextAttemptAt: string | null;
  failures: number;
  lastError: string | null;
  errant: (ErrantFinding & { foundAt: string }) | null;
}

export interface RecloneJobView {
  id: string;
  server: string;
  state: 'running' | 'succeeded' | 'failed' | 'errant';
  startedAt: string;
  finishedAt: string | null;
  outcome: RejoinOutcome | null;
  error: string | null;
}

/** Backoff after a failed attempt: 5 s, doubling, at most 5 minutes. */
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 5 * 60_000;
/** An errant server changes only when a person acts: looked at again every minute (the event only when the set changes). */
const ERRANT_RECHECK_MS = 60_000;
const KEPT_JOBS = 20;

/**
 * Schedules rejoins. The monitor pokes it once per tick, as the leader only (always in
 * single-node mode); each poke may start one attempt in the background, so a rejoin that
 * waits for a server to catch up never delays the heartbeat. One rejoin at a time per
 * process; failures back off; an errant server is reported once per discovery. The API
 * asks for a rejoin now (reclone false) or starts a reclone job.
 */
@Injectable()
export class RejoinService implements OnApplicationShutdown {
  private readonly logger = new Logger('Rejoin');
  private readonly views = new Map<string, RejoinView>();
  private readonly jobs = new Map<string, RecloneJobView>();
  private busy: string | null = null;
  private readonly abort = new AbortController();

  constructor(
    private readonly config: AppConfig,
    private readonly topology: DatabaseTopology,
    private readonly fencer: Fencer,
    private readonly runner: FailoverRunner,
    private readonly procedure: RejoinProcedure,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  view(key: string): RejoinView | null {
    return this.views.get(key) ?? null;
  }

  /**
   * Each fenced server with a rejoin view: true while its last finding is errant transactions.
   * The finding is kept through a re-check or a failed try, so an alert on it does not flap.
   */
  errantByServer(): Map<string, boolean> {
    return new Map([...this.views].map(([key, view]) => [key, view.errant !== null]));
  }

  job(id: string): RecloneJobView {
    const job = this.jobs.get(id);
    if (!job)
      throw new DomainError(
        FailoverErrorCode.RejoinJobNotFound,
        ErrorKind.NotFound,
        `no reclone job ${id} on this node`,
        {
          details: { field: 'id' },
        },
      );
    return job;
  }

  /** The in-flight attempt, if any (tests and shutdown wait for it). */
  running: Promise<unknown> = Promise.resolve();

  /**
   * From the monitor's tick, as the leader, after fencing. Starts at most one automatic
   * attempt, on a fenced server the fencer just saw answering and read-only.
   */
  poke(): void {
    const fenced = this.topology.servers().filter((server) => server.role === 'fenced');
    for (const key of this.views.keys()) if (!fenced.some((server) => server.key === key)) this.views.delete(key);
    if (!this.config.failover.autoRejoin || this.busy || this.runner.inProgress) return;
    if (this.topology.state.control.maintenance) return;
    const now = this.clock.now();
    const due = fenced.find(({ key }) => {
      const seen = this.fencer.view(key);
      if (!seen?.reachable || !seen.readOnly) return false;
      const next = this.views.get(key)?.nextAttemptAt;
      return !next || Date.parse(next) <= now.getTime();
    });
    if (due) this.running = this.attempt(due.key, 'replication').catch(() => undefined);
  }

  /** POST …/rejoin/:server with reclone false: the normal rejoin, now. */
  async rejoinNow(key: string): Promise<RejoinOutcome> {
    this.procedure.assertFenced(key);
    this.claim(key);
    const outcome = await this.attempt(key, 'replication', true).catch((error: unknown) => {
      if (error instanceof DomainError) throw error;
      if (isUnreachable(error))
        throw new DomainError(
          FailoverErrorCode.RejoinUnavailable,
          ErrorKind.Unavailable,
          `rejoin of ${key} failed: ${messageOf(error)}; it stays fenced, try again when it answers`,
          { details: { server: key }, retryAfterSeconds: FIRST_RETRY_MS / 1000 },
        );
      throw new DomainError(
        FailoverErrorCode.RejoinFailed,
        ErrorKind.Conflict,
        `rejoin of ${key} failed: ${messageOf(error)}; it stays fenced`,
        {
          details: { server: key },
        },
      );
    });
    if (outcome.kind === 'errant')
      throw new DomainError(
        FailoverErrorCode.ErrantTransactions,
        ErrorKind.Conflict,
        `${key} holds transactions ${outcome.primary} does not (${outcome.errantGtids}); it stays fenced. Rebuild it with { "reclone": true }, or deal with them by hand`,
        { details: { server: key, errantGtids: outcome.errantGtids, changes: outcome.changes } },
      );
    return outcome;
  }

  /** POST …/rejoin/:server with reclone true: checked now, run in the background; poll GET …/rejoin/jobs/:id. */
  startReclone(key: string): RecloneJobView {
    this.procedure.assertFenced(key);
    this.claim(key);
    const now = this.clock.now();
    const job: RecloneJobView = {
      id: `reclone-${now.getTime()}`,
      server: key,
      state: 'running',
      startedAt: now.toISOString(),
      finishedAt: null,
      outcome: null,
      error: null,
    };
    this.jobs.set(job.id, job);
    for (const id of [...this.jobs.keys()].slice(0, Math.max(0, this.jobs.size - KEPT_JOBS))) this.jobs.delete(id);
    this.running = this.attempt(key, 'reclone', true)
      .then(
        (outcome) => {
          job.outcome = outcome;
          job.state = outcome.kind === 'rejoined' ? 'succeeded' : 'errant';
        },
        (error: unknown) => {
          job.state = 'failed';
          job.error = messageOf(error);
        },
      )
      .finally(() => {
        job.finishedAt = this.clock.now().toISOString();
      });
    return job;
  }

  /** Stops an attempt at its next step (a restore kills its child processes) and waits for it to end. */
  async onApplicationShutdown(): Promise<void> {
    this.abort.abort(new Error('the service is shutting down'));
    await this.running.catch(() => undefined);
  }

  /** One at a time: a second request while one runs is refused, naming what runs. */
  private claim(key: string): void {
    if (this.busy)
      throw new DomainError(
        FailoverErrorCode.RejoinRefused,
        ErrorKind.Conflict,
        `a rejoin of ${this.busy} is running; try again when it is done`,
        {
          details: { server: key, running: this.busy },
        },
      );
    if (this.runner.inProgress)
      throw new DomainError(
        FailoverErrorCode.RejoinRefused,
        ErrorKind.Conflict,
        'a failover or switchover is running',
        {
          details: { server: key },
        },
      );
    this.busy = key;
  }

  private async attempt(key: string, method: RejoinMethod, claimed = false): Promise<RejoinOutcome> {
    if (!claimed) this.claim(key);
    const now = this.clock.now();
    const previous = this.views.get(key);
    const view: RejoinView = {
      state: 'rejoining',
      autoRejoin: this.config.failover.autoRejoin,
      lastAttemptAt: now.toISOString(),
      nextAttemptAt: null,
      failures: previous?.failures ?? 0,
      lastError: previous?.lastError ?? null,
      errant: previous?.errant ?? null,
    };
    this.views.set(key, view);
    try {
      const outcome = await this.procedure.run(key, method, this.abort.signal);
      if (outcome.kind === 'rejoined') this.views.delete(key);
      else this.errant(key, view, outcome);
      return outcome;
    } catch (error) {
      view.state = 'failed';
      view.failures++;
      view.lastError = messageOf(error);
      view.nextAttemptAt = this.later(Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (view.failures - 1)));
      this.logger.warn({
        msg: 'rejoin failed; the server stays fenced',
        server: key,
        method,
        err: view.lastError,
        retryAt: view.nextAttemptAt,
      });
      throw error;
    } finally {
      this.busy = null;
    }
  }

  private errant(key: string, view: RejoinView, outcome: Extract<RejoinOutcome, { kind: 'errant' }>): void {
    const known = view.errant?.errantGtids === outcome.errantGtids;
    view.state = 'errant';
    view.failures = 0;
    view.lastError = null;
    view.nextAttemptAt = this.later(ERRANT_RECHECK_MS);
    const { errantGtids, changes, changesIncomplete } = outcome;
    view.errant = {
      errantGtids,
      changes,
      changesIncomplete,
      foundAt: known ? view.errant!.foundAt : this.clock.now().toISOString(),
    };
    if (known) return;
    this.logger.error({
      msg: 'fenced server holds errant transactions: it stays fenced until a person decides',
      server: key,
      primary: outcome.primary,
      errantGtids,
      changes,
      changesIncomplete,
    });
    this.events.emit('db.errant-transactions', {
      server: key,
      primary: outcome.primary,
      epoch: this.topology.epoch,
      errantGtids,
      changes,
    });
  }

  private later(ms: number): string {
    return new Date(this.clock.now().getTime() + ms).toISOString();
  }
}
