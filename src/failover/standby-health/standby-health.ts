import { Injectable, Logger } from '@nestjs/common';
import { messageOf } from '../../common/errors/error-message';
import { EventBus } from '../../common/events/event-bus';
import { Clock } from '../../common/time/clock';
import { AppConfig } from '../../config/app-config';
import { DatabaseTopology } from '../../database/topology/database-topology';
import type { ReplicaStatus } from '../probes/replica-status';
import { ServerProbe } from '../probes/server-probe';
import { RejoinProbe } from '../rejoin/rejoin-probe';
import { addressOf } from '../server-address';
import {
  ServerSpelling,
  StandbyDiagnosis,
  StandbyProblemKind,
  diagnoseStandby,
  errantAgainst,
  sourceOf,
  unknownSourceNote,
} from './standby-diagnosis';

/** A standby problem being reported: the accessor a metrics module reads (problems()). */
export interface StandbyProblem {
  server: string;
  kind: StandbyProblemKind;
  detail: string;
  /** When it was first seen in this episode. */
  since: string;
  /** What automatic repair did or why it did not act. */
  repair: string;
}

/** One standby as the monitor saw it this tick. */
export interface StandbySighting {
  key: string;
  /** undefined: it did not answer; null: it answers and replicates from nothing. */
  status: ReplicaStatus | null | undefined;
}

export interface StandbyReview {
  standbys: StandbySighting[];
  /** The primary's gtid_binlog_pos from this tick's heartbeat; null: it did not answer (nothing is judged then). */
  primaryPosition: string | null;
  /** Why standbys are not judged now (a failover or an interrupted one is being settled); null: judge. */
  notJudging: string | null;
  /** Why nothing is repaired now (maintenance, a follower, a refusal); null: repairs are allowed. */
  noRepair: string | null;
  /**
   * Runs a repair exclusively of any failover or switchover (FailoverRunner.tryExclusive):
   * undefined when one is running, so the repair waits for a later tick.
   */
  exclusive: <T>(what: string, work: () => Promise<T>) => Promise<T | undefined>;
}

interface Episode {
  diagnosis: StandbyDiagnosis;
  since: string;
  /** Consecutive ticks it was seen: reported from the second, so a blip of one tick is not an episode. */
  seen: number;
  reported: boolean;
  repair: string;
  repairTried: boolean;
}

/** Ticks a problem must be seen in a row before it is reported (and repaired). */
const SEEN_BEFORE_REPORTED = 2;

/**
 * The standby problem detector (see standby-diagnosis.ts for what counts as a problem).
 * Called by the monitor once per heartbeat while the primary answers. A problem seen on two
 * ticks in a row is reported once per episode: a status warning, readiness details, the
 * log and `db.standby-problem`; it ends when the standby is healthy again.
 *
 * Repairs, only when allowed (the leader, no maintenance, no failover running or pending),
 * each run exclusively of failovers and switchovers (see StandbyReview.exclusive):
 * a stopped thread with no error gets START SLAVE; a standby replicating from another
 * server of the topology, or from nothing, is re-pointed at the primary with
 * MASTER_USE_GTID=slave_pos, but only when its GTID history (gtid_binlog_state and
 * gtid_slave_pos, per domain and server_id) holds nothing the primary's lacks. A source that
 * is no configured server (a proxy, another network, an alias) is noted, never re-pointed. An SQL error, an IO error
 * and an unreachable standby are reported, never repaired. One attempt per episode; a
 * successful one emits `db.standby-problem` again with `repaired: true`.
 */
@Injectable()
export class StandbyHealth {
  private readonly logger = new Logger('StandbyHealth');
  private readonly episodes = new Map<string, Episode>();
  /** Standbys replicating from an address no configured server has: one note each (status warnings only). */
  private readonly notes = new Map<string, string>();

  constructor(
    private readonly config: AppConfig,
    private readonly topology: DatabaseTopology,
    private readonly probe: ServerProbe,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly gtid: RejoinProbe,
  ) {}

  /** The problems being reported now, for status, readiness and metrics. */
  problems(): StandbyProblem[] {
    return [...this.episodes.entries()]
      .filter(([, episode]) => episode.reported)
      .map(([server, episode]) => ({
        server,
        kind: episode.diagnosis.kind,
        detail: episode.diagnosis.detail,
        since: episode.since,
        repair: episode.repair,
      }));
  }

  /** One line per problem, for the status warnings, and the notes about unknown sources. */
  warnings(): string[] {
    return [...this.problems().map((problem) => `${problem.detail} (${problem.repair})`), ...this.notes.values()];
  }

  async review(input: StandbyReview): Promise<void> {
    const current = new Set(input.standbys.map((s) => s.key));
    // A server that is no longer a standby (promoted, fenced) ends its episode.
    for (const key of this.episodes.keys()) if (!current.has(key)) this.episodes.delete(key);
    for (const key of this.notes.keys()) if (!current.has(key)) this.notes.delete(key);
    if (input.primaryPosition === null || input.notJudging !== null) return;
    const primary = addressOf(this.topology, this.topology.primaryKey);
    const servers = spellingsOf(this.topology);
    for (const standby of input.standbys) {
      this.note(standby, primary, servers);
      const diagnosis = diagnoseStandby({ key: standby.key, status: standby.status, primary, servers });
      await this.observe(standby, diagnosis, input);
    }
  }

  /** A source no configured server has is noted (logged once), not judged: it may be the primary by another way. */
  private note(standby: StandbySighting, primary: ServerSpelling, servers: ServerSpelling[]): void {
    const status = standby.status;
    // Unreachable: the last note stands (nothing new is known).
    if (status === undefined) return;
    const note =
      status && sourceOf(status, primary, servers).kind === 'unknown'
        ? unknownSourceNote(standby.key, status, primary)
        : null;
    if (note === null) {
      this.notes.delete(standby.key);
      return;
    }
    if (this.notes.get(standby.key) !== note) this.logger.warn({ msg: note, server: standby.key });
    this.notes.set(standby.key, note);
  }

  private async observe(standby: StandbySighting, diagnosis: StandbyDiagnosis | null, input: StandbyReview) {
    const previous = this.episodes.get(standby.key);
    if (!diagnosis) {
      if (previous?.reported) this.logger.log({ msg: `resolved: ${previous.diagnosis.detail}`, server: standby.key });
      this.episodes.delete(standby.key);
      return;
    }
    const episode: Episode =
      previous && previous.diagnosis.kind === diagnosis.kind
        ? { ...previous, diagnosis, seen: previous.seen + 1 }
        : {
            diagnosis,
            since: this.clock.now().toISOString(),
            seen: 1,
            reported: false,
            repair: 'not repaired yet',
            repairTried: false,
          };
    this.episodes.set(standby.key, episode);
    if (episode.seen < SEEN_BEFORE_REPORTED) return;
    if (!episode.repairTried) episode.repair = this.repairPlan(diagnosis, input.noRepair);
    if (!episode.reported) {
      episode.reported = true;
      this.logger.warn({ msg: `standby problem: ${diagnosis.detail}`, server: standby.key, kind: diagnosis.kind });
      this.emit(standby.key, diagnosis, false);
    }
    if (episode.repairTried || !this.repairable(diagnosis) || input.noRepair !== null) return;
    const primary = this.topology.primaryKey;
    const epoch = this.topology.epoch;
    const outcome = await input
      .exclusive(`repairing standby ${standby.key}`, () =>
        // The tick's verdict may be stale by now: a primary change in between voids it.
        this.topology.primaryKey === primary && this.topology.epoch === epoch
          ? this.repair(standby, diagnosis)
          : Promise.resolve(null),
      )
      .catch((error: unknown) => `repair failed: ${messageOf(error)}`);
    // Busy (a failover or switchover runs) or the primary changed: tried again at a later tick.
    if (outcome === undefined || outcome === null) {
      episode.repair = 'not repaired yet: a failover or switchover is running';
      return;
    }
    episode.repairTried = true;
    episode.repair = outcome;
  }

  private repairable(diagnosis: StandbyDiagnosis): boolean {
    return diagnosis.kind === 'stopped' || diagnosis.kind === 'wrong-source' || diagnosis.kind === 'not-replicating';
  }

  /** What the warning says about repair before (or instead of) an attempt. */
  private repairPlan(diagnosis: StandbyDiagnosis, noRepair: string | null): string {
    if (diagnosis.kind === 'sql-error') return 'not repaired automatically: an SQL error needs a person';
    if (!this.repairable(diagnosis)) return 'not repaired automatically';
    if (noRepair !== null) return `not repaired: ${noRepair}`;
    return 'repairing';
  }

  private async repair(standby: StandbySighting, diagnosis: StandbyDiagnosis): Promise<string> {
    const server = addressOf(this.topology, standby.key);
    try {
      if (diagnosis.kind === 'stopped') {
        await this.probe.startReplica(server);
        return this.repaired(standby.key, diagnosis, 'START SLAVE');
      }
      const account = this.config.replicationAccount;
      if (!account) return 'not repaired: DB_REPLICATION_USER is not set';
      const primary = addressOf(this.topology, this.topology.primaryKey);
      // Histories, not positions: gtid_binlog_pos keeps one server_id per domain and hides the others.
      const [theirs, ours] = await Promise.all([this.gtid.gtidState(server), this.gtid.gtidState(primary)]);
      const errant = errantAgainst(
        [theirs.binlogState, theirs.slavePos, standby.status?.gtidSlavePosition ?? ''],
        [ours.binlogState, ours.slavePos],
      );
      if (errant !== '')
        return `not repaired: it holds transactions the primary lacks (${errant}, not in the primary's history ${ours.binlogState})`;
      await this.probe.replicateFrom(server, primary, account, 'slave_pos');
      return this.repaired(
        standby.key,
        diagnosis,
        `re-pointed at ${this.topology.primaryKey} (MASTER_USE_GTID=slave_pos)`,
      );
    } catch (error) {
      this.logger.error({ msg: 'could not repair a standby', server: standby.key, err: messageOf(error) });
      return `repair failed: ${messageOf(error)}`;
    }
  }

  private repaired(key: string, diagnosis: StandbyDiagnosis, what: string): string {
    this.logger.warn({ msg: `standby repaired: ${what}`, server: key, problem: diagnosis.detail });
    this.emit(key, diagnosis, true);
    return `repaired: ${what}`;
  }

  private emit(server: string, diagnosis: StandbyDiagnosis, repaired: boolean): void {
    this.events.emit('db.standby-problem', {
      server,
      epoch: this.topology.epoch,
      problem: diagnosis.detail,
      repaired,
    });
  }
}

/**
 * The monitor's observation of a standby as the detector reads it: the monitor marks a
 * server that answers but replicates from nothing with lastError 'not replicating' (and
 * keeps the previous status of one that did not answer).
 */
export function sightingOf(observation: {
  key: string;
  reachable: boolean;
  status: ReplicaStatus | null;
  lastError: string | null;
}): StandbySighting {
  if (observation.reachable) return { key: observation.key, status: observation.status };
  return { key: observation.key, status: observation.lastError === 'not replicating' ? null : undefined };
}

/** Every configured server as DB_PRIMARY_URL / DB_STANDBY_URLS spell it, for sourceOf. */
export function spellingsOf(topology: DatabaseTopology): ServerSpelling[] {
  return topology.servers().map(({ key, endpoint }) => ({ key, host: endpoint.host, port: endpoint.port }));
}
