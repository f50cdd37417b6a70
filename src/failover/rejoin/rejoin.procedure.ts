import { Injectable, Logger } from '@nestjs/common';
import { Leadership } from '../../cluster';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { messageOf } from '../../common/errors/error-message';
import type { ErrantRowChange } from '../../common/events/app-events';
import { EventBus } from '../../common/events/event-bus';
import { AppConfig } from '../../config/app-config';
import { ReplicaRebuilder } from '../../database/replication/replica-rebuilder';
import { DatabaseTopology } from '../../database/topology/database-topology';
import { FailoverErrorCode } from '../failover.errors';
import { ServerAddress, ServerProbe } from '../probes/server-probe';
import { addressOf } from '../server-address';
import { ErrantChangeReader } from './errant-change-reader';
import { type ErrantRange, errantRanges, formatErrant, historyOf, parseGtidList, reaches } from './gtid-set';
import { RejoinProbe } from './rejoin-probe';

export type RejoinMethod = 'replication' | 'reclone';

export interface ErrantFinding {
  errantGtids: string;
  changes: ErrantRowChange[];
  /** Why the list of changes may be incomplete; null when the binlog was read whole. */
  changesIncomplete: string | null;
}

export type RejoinOutcome =
  | { kind: 'rejoined'; server: string; primary: string; epoch: number; method: RejoinMethod; detail: string }
  | ({ kind: 'errant'; server: string; primary: string } & ErrantFinding);

/** Waits between replication status reads while a rejoining server catches up. */
const SYNC_POLL_MS = 250;
/** A clean old primary is only the writes since the failover behind: a minute is plenty. */
export const REPLICATION_SYNC_TIMEOUT_MS = 60_000;
/** A rebuilt server replays everything since the backup ended. */
export const RECLONE_SYNC_TIMEOUT_MS = 30 * 60_000;

/**
 * Returns a fenced server to the topology as a standby of the current primary:
 *
 * 1. (replication) made read-only, the app account's sessions killed; then its
 *    gtid_binlog_state against the primary's history (binlog state and slave position):
 *    anything it holds that the primary lacks is errant, and it stays fenced (the outcome
 *    names the GTIDs and the rows they touched);
 * 2. (reclone only) a copy of the primary's history chosen (ReplicaRebuilder, bound by the
 *    app's wiring to backup's restore), then the server reset (RESET MASTER) and rebuilt from it;
 * 3. CHANGE MASTER to the primary (read_only stays ON; heartbeat period half the detection
 *    time), START SLAVE, and wait until both threads run and it holds the primary's position
 *    read at the start;
 * 4. the topology change (no longer fenced) stored through DatabaseTopology.update, which
 *    in cluster mode is the leader's fenced compare-and-set on etcd.
 *
 * A failure at any step throws; the server stays fenced (and read-only).
 */
@Injectable()
export class RejoinProcedure {
  private readonly logger = new Logger('Rejoin');
  /** Per fenced server, the last errant finding whose binlog read succeeded (see describe). */
  private readonly described = new Map<string, ErrantFinding>();

  constructor(
    private readonly config: AppConfig,
    private readonly topology: DatabaseTopology,
    private readonly probe: ServerProbe,
    private readonly rejoinProbe: RejoinProbe,
    private readonly changes: ErrantChangeReader,
    private readonly rebuilder: ReplicaRebuilder,
    private readonly leadership: Leadership,
    private readonly events: EventBus,
  ) {}

  /** The server must be configured and fenced: 404 / 409 naming it otherwise. */
  assertFenced(key: string): void {
    if (!this.topology.replicated)
      throw new DomainError(
        FailoverErrorCode.NotReplicated,
        ErrorKind.Conflict,
        'no rejoin on this node: DB_TYPE is not mysql',
      );
    const server = this.topology.servers().find((s) => s.key === key);
    if (!server)
      throw new DomainError(
        FailoverErrorCode.UnknownServer,
        ErrorKind.NotFound,
        `${key} is not in DB_PRIMARY_URL / DB_STANDBY_URLS`,
        { details: { field: 'server', server: key } },
      );
    if (server.role !== 'fenced')
      throw new DomainError(
        FailoverErrorCode.NotFenced,
        ErrorKind.Conflict,
        `${key} is the ${server.role}, not a fenced server: only a fenced server is rejoined`,
        { details: { field: 'server', server: key, role: server.role } },
      );
  }

  async run(key: string, method: RejoinMethod, signal: AbortSignal): Promise<RejoinOutcome> {
    this.assertFenced(key);
    const account = this.config.replicationAccount;
    if (!account)
      throw new DomainError(
        FailoverErrorCode.RejoinRefused,
        ErrorKind.Conflict,
        'DB_REPLICATION_USER is not set: a rejoined server needs it to replicate',
      );
    const primaryKey = this.topology.primaryKey;
    const server = addressOf(this.topology, key);
    const primary = addressOf(this.topology, primaryKey);
    const primaryState = await this.rejoinProbe.gtidState(primary);
    const history = historyOf(primaryState.binlogState, primaryState.slavePos, primaryState.binlogPos);
    let slavePos: string | undefined;
    let detail: string;
    if (method === 'replication') {
      await this.quiesce(key, server);
      const own = await this.rejoinProbe.gtidState(server);
      // A former primary always logged something. An empty binlog was reset: by a reclone that
      // stopped after RESET MASTER (its data may be half restored), or by hand. Never follow from there.
      if (own.binlogState === '' && history.size > 0)
        throw new Error(
          `${key} has an empty binary log (reset by hand, or a reclone that did not finish): its data cannot be trusted; reclone it`,
        );
      const ranges = errantRanges(parseGtidList(own.binlogState), history);
      if (ranges.length > 0)
        return { kind: 'errant', server: key, primary: primaryKey, ...(await this.describe(server, ranges)) };
      detail = `held nothing ${primaryKey} lacks (binlog state ${own.binlogState || 'empty'})`;
    } else {
      // The copy is chosen first: a server is reset (binlog dropped) only once there is one to restore.
      const plan = await this.rebuilder.plan(server, (gtid) => reaches(history, gtid));
      signal.throwIfAborted();
      await this.rejoinProbe.resetForRebuild(server);
      const rebuilt = await this.rebuilder.rebuild(server, plan, signal);
      slavePos = rebuilt.position;
      detail = `rebuilt by ${this.rebuilder.method} from ${rebuilt.source}, at ${rebuilt.position}`;
    }
    signal.throwIfAborted();
    await this.rejoinProbe.replicate(server, {
      source: primary,
      account,
      useGtid: method === 'replication' ? 'current_pos' : 'slave_pos',
      slavePos,
      heartbeatPeriodSeconds: this.heartbeatPeriodSeconds(),
    });
    const timeoutMs = method === 'replication' ? REPLICATION_SYNC_TIMEOUT_MS : RECLONE_SYNC_TIMEOUT_MS;
    await this.waitInSync(server, primaryState.binlogPos, timeoutMs, signal);
    const epoch = await this.persist(key, primaryKey);
    this.described.delete(key);
    this.logger.warn({
      msg: 'rejoined a fenced server as a standby',
      server: key,
      primary: primaryKey,
      method,
      detail,
    });
    this.events.emit('db.rejoined', { server: key, primary: primaryKey, epoch, method });
    return { kind: 'rejoined', server: key, primary: primaryKey, epoch, method, detail };
  }

  /**
   * read_only = ON and the app account's sessions killed before its GTID state is read: the
   * fencer did so when it came back, but a person (or a rejoin on request, before the
   * fencer's next poll) may have turned read_only off, and a stale client writing between
   * the errant check and CHANGE MASTER would be an errant transaction nobody checked.
   * Accounts with READ_ONLY ADMIN (SUPER) are not stopped by read_only: the app's must not have it.
   */
  private async quiesce(key: string, server: ServerAddress): Promise<void> {
    await this.probe.setReadOnly(server, true);
    await this.probe.killConnectionsOf(server, this.topology.endpointOf(key).user);
  }

  /** Half the detection time (interval × threshold), as a replica needs for a hung primary to be seen in time. */
  heartbeatPeriodSeconds(): number {
    const { heartbeatIntervalMs, failureThreshold } = this.config.failover;
    return Math.max(0.5, Math.floor((heartbeatIntervalMs * failureThreshold) / 2 / 100) / 10);
  }

  /**
   * The errant GTIDs and the rows they touched. An errant server is looked at again every
   * minute until a person acts; its binlog is read (mariadb-binlog, up to its bounds) only
   * when the errant set changed. A read that failed is not kept: the next check tries again.
   */
  private async describe(server: ServerAddress, ranges: ErrantRange[]): Promise<ErrantFinding> {
    const errantGtids = formatErrant(ranges);
    const cached = this.described.get(server.key);
    if (cached?.errantGtids === errantGtids) return cached;
    const finding = await this.changes.read(server, ranges).then(
      (read): ErrantFinding => {
        const found = { errantGtids, changes: read.changes, changesIncomplete: read.incomplete };
        this.described.set(server.key, found);
        return found;
      },
      (error: unknown): ErrantFinding => ({
        errantGtids,
        changes: [],
        changesIncomplete: `could not read its binlog: ${messageOf(error)}`,
      }),
    );
    return finding;
  }

  /**
   * In sync: IO and SQL threads running and its own history reaching the primary's position
   * read before replication started. An empty primary position (nothing ever logged) is
   * not "caught up" by itself: then both threads running is what is checked.
   */
  private async waitInSync(
    server: ServerAddress,
    target: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: string;
    for (;;) {
      signal.throwIfAborted();
      const status = await this.probe.replicaStatus(server);
      if (!status) last = 'it does not replicate';
      else if (status.ioRunning === 'Yes' && status.sqlRunning === 'Yes') {
        if (target === '') return;
        const own = await this.rejoinProbe.gtidState(server);
        if (reaches(historyOf(own.binlogState, own.slavePos), target)) return;
        last = `at ${own.slavePos || own.binlogPos || 'nothing'}, the primary was at ${target}`;
      } else {
        last = `IO thread ${status.ioRunning}, SQL thread ${status.sqlRunning}`;
        const error = status.lastIoError || status.lastSqlError;
        // A thread stopped with an error does not recover by waiting.
        if (error && (status.ioRunning === 'No' || status.sqlRunning === 'No'))
          throw new Error(`replication from the primary stopped: ${error}`);
      }
      if (Date.now() >= deadline) throw new Error(`not in sync within ${timeoutMs} ms: ${last}`);
      await new Promise((resolve) => setTimeout(resolve, SYNC_POLL_MS));
    }
  }

  /** No longer fenced: a standby of the primary it caught up with, unless the topology moved meanwhile. */
  private async persist(key: string, primaryKey: string): Promise<number> {
    this.leadership.assertLeader(`rejoin of ${key}`);
    const state = await this.topology.update((current) => {
      if (current.primary !== primaryKey)
        throw new Error(`the primary changed from ${primaryKey} to ${current.primary} during the rejoin`);
      if (!current.fenced.includes(key)) throw new Error(`${key} was released from fencing by someone else meanwhile`);
      return { ...current, fenced: current.fenced.filter((fenced) => fenced !== key) };
    });
    return state.epoch;
  }
}
