import { Leadership } from '../cluster';
import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { messageOf } from '../common/errors/error-message';
import { EventBus } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import { AppConfig, Credentials } from '../config/app-config';
import { DatabaseTopology } from '../database/topology/database-topology';
import { FailoverRecord, TopologyState } from '../database/topology/topology-state';
import { AppPool } from './app-pool';
import { AutomaticFailover } from './automatic-failover';
import { FailoverHistoryService } from './failover-history.service';
import { FailoverErrorCode } from './failover.errors';
import { ioConnected } from './probes/replica-status';
import { ServerAddress, ServerProbe } from './probes/server-probe';
import { chooseCandidate } from './promotion/candidate';
import { Promoter } from './promotion/promoter';
import { FailoverStepError, StepRecorder } from './promotion/step-recorder';
import { addressOf } from './server-address';
import { TopologyChange, changeId } from './topology-change';

/** A target further behind would keep the app on 503s while it catches up. */
export const SWITCHOVER_MAX_LAG_SECONDS = 5;

const refused = (message: string) =>
  new DomainError(FailoverErrorCode.SwitchoverRefused, ErrorKind.Conflict, `switchover refused: ${message}`);

/**
 * A planned change of primary with both servers up, losing nothing: the app's pool closes,
 * the old primary turns read-only and drops the app's sessions, the target applies
 * everything the old primary wrote (its final GTID position), is promoted, the app moves,
 * and the old primary replicates from the new one. Every check runs before anything
 * changes; a failure after that rolls back to the old primary, which still has every write.
 */
@Injectable()
export class SwitchoverProcedure {
  private readonly logger = new Logger('Switchover');

  constructor(
    private readonly config: AppConfig,
    private readonly topology: DatabaseTopology,
    private readonly probe: ServerProbe,
    private readonly pool: AppPool,
    private readonly history: FailoverHistoryService,
    private readonly change: TopologyChange,
    private readonly promoter: Promoter,
    private readonly automatic: AutomaticFailover,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly leadership: Leadership,
  ) {}

  async run(requestedTarget?: string): Promise<FailoverRecord> {
    const { target, account } = await this.preconditions(requestedTarget);
    const kind = 'switchover';
    const startedAt = this.clock.now();
    const id = changeId(kind, startedAt);
    const oldPrimary = this.topology.primaryKey;
    const epochBefore = this.topology.epoch;
    const reason = `planned switchover to ${target}`;
    this.logger.warn({ msg: 'switchover started', failoverId: id, oldPrimary, target, epoch: epochBefore });
    this.events.emit('db.failover-started', { id, kind, epoch: epochBefore, oldPrimary, reason });
    const steps = new StepRecorder(
      this.logger,
      id,
      () => this.clock.now(),
      () => this.leadership.assertLeader(`switchover ${id}`),
    );
    const old = addressOf(this.topology, oldPrimary);
    const next = addressOf(this.topology, target);
    let targetTouched = false;
    let state: TopologyState;
    try {
      await steps.run('close-app-pool', () => this.pool.close());
      await steps.run('demote-old-primary', () => this.demote(old), {
        detail: (killed) => `read_only = ON, ${killed} app sessions killed`,
      });
      const position = await steps.run('read-final-position', () => this.finalPosition(old), { detail: (p) => p });
      await steps.run('catch-up', () => this.promoter.waitUntilApplied(next, position), {
        detail: () => `${target} applied ${position}`,
      });
      targetTouched = true;
      await this.promoter.prepare(next, steps);
      state = await steps.run('persist-topology', () => this.change.persist(oldPrimary, target, kind), {
        detail: (s) => `epoch ${s.epoch}`,
      });
    } catch (error) {
      return this.rollBack({
        id,
        reason,
        startedAt,
        oldPrimary,
        target,
        epochBefore,
        steps,
        error,
        account,
        targetTouched,
      });
    }
    // The topology names the target now: from here on there is no going back, only forward.
    const writable = await this.promoter.enableWrites(next, steps).then(
      () => true,
      (error: unknown) => error,
    );
    await steps.run('repoint-app', () => this.pool.reopenOnPrimary(), { optional: true });
    // A demoted server still a semi-sync master stalls the first transaction it applies as a
    // replica for rpl_semi_sync_master_timeout (nobody acknowledges it): a failover landing
    // then waits for it in apply-relay-log (issue 18, RTO after a switchover).
    if (this.config.failover.configureReplicas)
      await steps.run('old-primary-semi-sync-master-off', () => this.probe.setSemiSync(old, 'master', false), {
        optional: true,
      });
    await steps.run('old-primary-follows', () => this.probe.replicateFrom(old, next, account, 'current_pos'), {
      optional: true,
      detail: () => `${oldPrimary} replicates from ${target}`,
    });
    await steps.run('repoint-standbys', () => this.change.repointStandbys(target, [oldPrimary]), {
      optional: true,
      detail: (lines) => lines.join('; '),
    });
    // Clients hear of it once the new primary takes writes: here, or when the monitor finishes it (below).
    if (writable === true)
      this.events.emit('db.primary-changed', {
        id,
        kind,
        epoch: state.epoch,
        oldPrimary,
        newPrimary: target,
        at: this.clock.now(),
      });
    if (writable === true) {
      // After the old primary and the standbys follow: with semi-sync, this commit waits for one of them.
      await steps.run('record-epoch', () => this.change.recordEpoch(target, state.epoch), {
        optional: true,
        detail: (d) => d,
      });
    }
    // Not writable: an intent at enable-writes lets the monitor finish it (retried at each heartbeat by the leader).
    const pending =
      writable === true
        ? false
        : await this.change.recordUnfinishedSwitchover({ id, candidate: target, oldPrimary }).then(
            () => true,
            () => false,
          );
    const error =
      writable === true
        ? null
        : `${messageOf(writable)}${pending ? '; the switchover stays pending at enable-writes and is retried at each heartbeat' : ''}`;
    const record = this.change.record({
      id,
      kind,
      reason,
      startedAt,
      oldPrimary,
      newPrimary: target,
      epoch: state.epoch,
      steps,
      error,
    });
    await this.history.record(record);
    if (error) {
      // Only when no intent could be kept: then nothing would finish it.
      if (!pending)
        await this.automatic.disable(
          `switchover ${id}: ${target} is the primary but could not be made writable: ${error}`,
        );
      this.events.emit('db.failover-failed', {
        id,
        kind,
        epoch: state.epoch,
        oldPrimary,
        step: 'enable-writes',
        reason: error,
      });
    } else {
      this.logger.warn({ msg: 'switchover done', failoverId: id, oldPrimary, newPrimary: target, epoch: state.epoch });
    }
    return record;
  }

  /** Everything checked before the first change, so a refusal leaves the servers as they were. */
  private async preconditions(requested?: string): Promise<{ target: string; account: Credentials }> {
    if (!this.topology.replicated)
      throw new DomainError(
        FailoverErrorCode.NotReplicated,
        ErrorKind.Conflict,
        'no switchover on this node: DB_TYPE is not mysql',
      );
    const account = this.config.replicationAccount;
    if (!account) throw refused('DB_REPLICATION_USER is not set, and the old primary must replicate from the new one');
    const servers = this.topology.servers();
    if (requested && !servers.some((server) => server.key === requested)) {
      throw new DomainError(
        FailoverErrorCode.UnknownServer,
        ErrorKind.NotFound,
        `${requested} is not in DB_PRIMARY_URL / DB_STANDBY_URLS`,
        { details: { field: 'target' } },
      );
    }
    const standbys = this.topology.standbys();
    if (requested && !standbys.some((server) => server.key === requested)) {
      throw refused(`${requested} is the ${servers.find((server) => server.key === requested)?.role}, not a standby`);
    }
    await this.probe.heartbeat(addressOf(this.topology, this.topology.primaryKey)).catch((error: unknown) => {
      throw refused(`the primary does not answer (${messageOf(error)}): that calls for a failover`);
    });
    const candidates = requested ? standbys.filter((server) => server.key === requested) : standbys;
    const statuses = await Promise.all(
      candidates.map((s) => this.probe.replicaStatus(addressOf(this.topology, s.key)).catch(() => null)),
    );
    const healthy = candidates.map((s, i) => ({
      key: s.key,
      status: statuses[i] && ioConnected(statuses[i]) ? statuses[i] : null,
    }));
    const choice = chooseCandidate(healthy);
    if (choice.key === null) throw refused(`no standby is replicating with both threads running: ${choice.reason}`);
    const lag = choice.status.secondsBehindMaster;
    // The app gets 503s until the target has caught up: a lagging target is refused, not waited for.
    if (lag === null || lag > SWITCHOVER_MAX_LAG_SECONDS) {
      throw refused(
        `${choice.key} is ${lag === null ? 'at an unknown distance' : `${lag} s`} behind the primary (at most ${SWITCHOVER_MAX_LAG_SECONDS} s)`,
      );
    }
    // The fencing token on the database side: a target recording a higher epoch than ours means our view is stale.
    await this.change.checkEpoch(choice.key).catch((error: unknown) => {
      throw refused(messageOf(error));
    });
    return { target: choice.key, account };
  }

  private async demote(old: ServerAddress): Promise<number> {
    await this.probe.setReadOnly(old, true);
    return this.probe.killConnectionsOf(old, this.topology.endpointOf(old.key).user);
  }

  private async finalPosition(old: ServerAddress): Promise<string> {
    const { gtidBinlogPosition, readOnly } = await this.probe.heartbeat(old);
    if (!readOnly) throw new Error(`${old.key} is still writable`);
    if (!gtidBinlogPosition) throw new Error(`${old.key} reports an empty GTID position`);
    return gtidBinlogPosition;
  }

  /**
   * The old primary still has every write: it takes the writes back. A target the
   * procedure touched goes back to read-only and follows the old primary again.
   */
  private async rollBack(input: {
    id: string;
    reason: string;
    startedAt: Date;
    oldPrimary: string;
    target: string;
    epochBefore: number;
    steps: StepRecorder;
    error: unknown;
    account: Credentials;
    targetTouched: boolean;
  }): Promise<FailoverRecord> {
    const { id, steps, oldPrimary, target } = input;
    const old = addressOf(this.topology, oldPrimary);
    const next = addressOf(this.topology, target);
    if (input.targetTouched) {
      await steps.run('roll-back-target-read-only', () => this.probe.setReadOnly(next, true), { optional: true });
      await steps.run(
        'roll-back-target-follows',
        () => this.probe.replicateFrom(next, old, input.account, 'current_pos'),
        { optional: true },
      );
    }
    const restored = await steps.run(
      'roll-back-old-primary',
      () => this.probe.setReadOnly(old, false).then(() => true),
      { optional: true },
    );
    await steps.run('roll-back-app', () => this.pool.reopenOnPrimary(), { optional: true });
    const step = input.error instanceof FailoverStepError ? input.error.step : 'unknown';
    const message = messageOf(input.error);
    const record = this.change.record({
      ...input,
      kind: 'switchover',
      newPrimary: null,
      epoch: input.epochBefore,
      error: message,
    });
    if (restored === undefined)
      await this.automatic.disable(`switchover ${id} failed at ${message} and its roll-back did not complete`);
    await this.history.record(record);
    this.logger.error({ msg: 'switchover failed and was rolled back', failoverId: id, step, err: message });
    this.events.emit('db.failover-failed', {
      id,
      kind: 'switchover',
      epoch: input.epochBefore,
      oldPrimary,
      step,
      reason: message,
    });
    return record;
  }
}
