import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Leadership } from '../cluster';
import { messageOf } from '../common/errors/error-message';
import { EventBus } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { DatabaseTopology } from '../database/topology/database-topology';
import { AppPool } from './app-pool';
import { AutomaticFailover } from './automatic-failover';
import { type HeartbeatFailure, classifyHeartbeatFailure } from './detection/fast-evidence';
import { FastPath } from './detection/fast-path';
import { PrimaryVerdict, StandbyView, confirmationWindowMs, judgePrimary } from './detection/primary-verdict';
import { StandbyContact } from './detection/standby-contact';
import { automaticFailoverBlocked } from './failover-policy';
import { FailoverRunner } from './failover-runner';
import { Fencer } from './fencer';
import { AcknowledgedPosition } from './guard/acknowledged-position';
import { PreFailoverGate } from './hooks';
import { RejoinService } from './rejoin/rejoin.service';
import { PrimaryHeartbeat, RecordedEpoch, ServerAddress, ServerProbe } from './probes/server-probe';
import { ReplicaStatus } from './probes/replica-status';
import { ReplicaConfigurer } from './replicas/replica-configurer';
import { addressOf } from './server-address';
import { sourceOf } from './standby-health/standby-diagnosis';
import { StandbyHealth, sightingOf, spellingsOf } from './standby-health/standby-health';
import { decideInterrupted } from './journal/interrupted-failover';

export const RUN_FAILOVER_MONITOR = Symbol('RUN_FAILOVER_MONITOR');

export interface PrimaryObservation {
  key: string;
  reachable: boolean;
  lastHeartbeatAt: string | null;
  lastError: string | null;
  /** How the last heartbeat failed (see fast-evidence.ts); null when it succeeded. */
  failure?: HeartbeatFailure | null;
  heartbeat: PrimaryHeartbeat | null;
}

export interface StandbyObservation {
  key: string;
  reachable: boolean;
  lastSeenAt: string | null;
  lastError: string | null;
  status: ReplicaStatus | null;
  /** ms since it last heard the primary; null: its IO thread is not connected. */
  silenceMs: number | null;
}

/**
 * The heartbeat loop. Each tick (HEARTBEAT_INTERVAL_MS, ticks never overlap): heartbeat
 * the primary on the monitor's own connection, read every standby's replication status,
 * enforce fencing, then judge. A failover starts only on a confirmed death and when no
 * cooldown, maintenance or earlier failure blocks it.
 *
 * In cluster mode every node runs the loop, so a node that becomes leader already knows
 * the primary is dead; only the leader fences and fails over.
 *
 * In single-node mode the first heartbeat the primary answers also reads its epoch marker
 * (logic_ha_epoch). When it says a cluster manages the database, this node is a leftover
 * (or a mistake) beside that cluster: it keeps watching and reporting but neither fails
 * over nor fences, unless FAILOVER_FORCE_SINGLE_NODE=true. A primary that is down at start
 * blocks nothing: until the marker is read, the monitor acts as before.
 */
@Injectable()
export class FailoverMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FailoverMonitor');
  private readonly contacts = new Map<string, StandbyContact>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** The tick in progress, so shutdown waits for a failover it may be running. */
  private current: Promise<void> = Promise.resolve();
  private misses = 0;
  private primary: PrimaryObservation | null = null;
  private standbys: StandbyObservation[] = [];
  private verdict: PrimaryVerdict = { kind: 'healthy' };
  private windowMs: number;
  private blockedReason: string | null = null;
  /** The suspicion being reported, so one episode emits one event. */
  private reportedEpisode: string | null = null;
  private lastTickAt: string | null = null;
  /** Setup problems that weaken the guarantees, logged once each, shown in status. */
  private readonly warnings = new Map<string, string>();
  /** The primary's epoch marker, read once (single-node mode); undefined until a heartbeat answered and it was read. */
  private marker: RecordedEpoch | null | undefined = undefined;
  private markerReadFailed = false;
  /** Why this single node does not act on the database (a cluster manages it); null: it acts. */
  private refusal: string | null = null;
  /** Refused connections confirmed within a short window instead of the full one (FAILOVER_FAST_CONFIRM_MS); tests set its pause. */
  readonly fastPath: FastPath<PrimaryObservation>;
  /** A tick was asked for while one ran (the primary closed our connection): the next one starts at once. */
  private soon = false;
  private ticking = false;
  private lastTickStartedAt = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly topology: DatabaseTopology,
    private readonly probe: ServerProbe,
    private readonly runner: FailoverRunner,
    private readonly fencer: Fencer,
    private readonly pool: AppPool,
    private readonly automatic: AutomaticFailover,
    private readonly events: EventBus,
    private readonly clock: Clock,
    @Inject(RUN_FAILOVER_MONITOR) private readonly runLoop: boolean,
    private readonly leadership: Leadership,
    private readonly acknowledged: AcknowledgedPosition,
    private readonly replicas: ReplicaConfigurer,
    private readonly standbyHealth: StandbyHealth,
    /** FAILOVER_PRE_HOOK; absent in unit tests that do not exercise it. */
    @Optional() private readonly preHook?: PreFailoverGate,
    /** Absent in unit tests that do not exercise rejoin. */
    @Optional() private readonly rejoin?: RejoinService,
  ) {
    const { heartbeatIntervalMs, failureThreshold } = config.failover;
    this.windowMs = confirmationWindowMs(heartbeatIntervalMs, failureThreshold, []);
    this.fastPath = new FastPath(config.failover.fastConfirmMs, this.logger, () => this.clock.now().getTime());
  }

  /** Why the monitor does not run, or null when it does. */
  get disabledReason(): string | null {
    if (!this.topology.replicated) return 'DB_TYPE is not mysql: nothing to fail over';
    if (!this.config.monitorAccount) return 'DB_ADMIN_USER is not set: the monitor has no admin account';
    if (!this.runLoop) return 'not started in this process (one-off command)';
    return this.refusal;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.disabledReason) return;
    // Before anything is awaited: a service that started without its database is reconnected
    // by the monitor (which keeps the pool closed while a failover runs), not by the database layer.
    // In cluster mode every node runs this loop, so followers reopen their own pools too.
    this.pool.reopenedByMonitor();
    // A follower finds the topology already in etcd; a failed first write is retried by the next change.
    await this.topology
      .ensurePersisted()
      .catch((error: unknown) =>
        this.logger.warn({ msg: 'could not store the initial topology', err: messageOf(error) }),
      );
    this.logger.log({
      msg: 'failover monitor started',
      primary: this.topology.primaryKey,
      epoch: this.topology.epoch,
      ...this.config.failover,
    });
    this.probe.onConnectionLost((key) => this.connectionLost(key));
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
    await this.probe.close();
  }

  snapshot() {
    return {
      primary: this.primary,
      standbys: this.standbys,
      verdict: this.verdict,
      misses: this.misses,
      windowMs: this.windowMs,
      blockedReason: this.blockedReason,
      lastTickAt: this.lastTickAt,
      warnings: [...this.warnings.values(), ...this.standbyHealth.warnings()],
      /** Semi-sync on the primary as the heartbeats see it (db.semi-sync-changed on each change). */
      semiSync: this.acknowledged.semiSync(),
      /** What the zero-loss guard requires of a failover's candidate (see AcknowledgedPosition). */
      acknowledgedPosition: this.acknowledged.requiredPosition,
      replicaConfiguration: this.replicas.view(),
    };
  }

  /** One heartbeat round; public so tests drive it without waiting for the timer. */
  async tick(): Promise<void> {
    const now = this.clock.now();
    this.lastTickAt = now.toISOString();
    const observed = this.observePrimary(now);
    let [primary, standbys] = await Promise.all([observed, this.observeStandbys(now), this.enforceFencing(observed)]);
    const fast = await this.fastPath.confirm(primary, () => this.observePrimary(this.clock.now()));
    if (fast) {
      primary = fast.last;
      // The standbys' evidence is judged as fresh as the monitor's last refusal.
      if (fast.outcome === 'refused') standbys = await this.observeStandbys(this.clock.now());
    }
    this.primary = primary;
    this.standbys = standbys;
    this.misses = primary.reachable ? 0 : this.misses + 1;
    if (primary.reachable) await this.reopenPoolIfClosed();
    const periods = standbys.flatMap((s) => (s.status ? [s.status.heartbeatPeriodSeconds] : []));
    this.windowMs = confirmationWindowMs(
      this.config.failover.heartbeatIntervalMs,
      this.config.failover.failureThreshold,
      periods,
    );
    this.acknowledged.observe({
      primary: primary.key,
      epoch: this.topology.epoch,
      heartbeat: primary.reachable ? primary.heartbeat : null,
      received: this.receivedPositions(primary.key, standbys),
    });
    this.checkSetup(primary, standbys);
    await this.standbyHealth.review({
      standbys: standbys.map(sightingOf),
      primaryPosition: primary.reachable ? (primary.heartbeat?.gtidBinlogPosition ?? '') : null,
      notJudging: this.runner.inProgress || this.topology.state.pending ? 'a failover is running or pending' : null,
      noRepair: this.blockedForServers(),
      exclusive: (what, work) => this.runner.tryExclusive(what, work),
    });
    const views = standbys.map(toStandbyView);
    this.verdict =
      this.fastPath.judge(fast, views) ??
      judgePrimary(this.misses, this.config.failover.failureThreshold, views, this.windowMs);
    if (await this.settlePending(primary)) return;
    await this.act(this.resumingVerdict(this.verdict));
    if (this.mayConfigureReplicas()) await this.configureReplicas(primary.key, standbys);
  }

  /**
   * Only around a healthy primary, as the leader acting on this database, never during a
   * primary change (running or left pending) nor in an operator's maintenance.
   */
  private mayConfigureReplicas(): boolean {
    const { control, pending } = this.topology.state;
    return (
      this.verdict.kind === 'healthy' &&
      !this.runner.inProgress &&
      !this.refusal &&
      !control.maintenance &&
      !pending &&
      this.leadership.isLeader()
    );
  }

  /** Exclusively of failovers and switchovers, and only if the primary did not change since this tick saw it. */
  private async configureReplicas(primary: string, standbys: StandbyObservation[]): Promise<void> {
    const epoch = this.topology.epoch;
    await this.runner
      .tryExclusive('configuring replicas', async () => {
        if (this.topology.primaryKey !== primary || this.topology.epoch !== epoch) return;
        await this.replicas.configure({ primary, standbys });
      })
      .catch((error: unknown) => this.logger.warn({ msg: 'replicas not configured', err: messageOf(error) }));
  }

  /**
   * What the standbys received, for the zero-loss guard: from those replicating from the
   * primary, or from an address no configured server has (a proxy, an alias: maybe the
   * primary). One pointed at another configured server (a fenced old primary) receives
   * another history: left out.
   */
  private receivedPositions(primaryKey: string, standbys: StandbyObservation[]): string[] {
    const servers = spellingsOf(this.topology);
    const primary = servers.find((server) => server.key === primaryKey);
    return standbys.flatMap((s) =>
      s.reachable && s.status && (!primary || sourceOf(s.status, primary, servers).kind !== 'other')
        ? [s.status.gtidIoPosition]
        : [],
    );
  }

  private async act(verdict: PrimaryVerdict): Promise<void> {
    if (verdict.kind === 'healthy' || verdict.kind === 'missing') {
      if (verdict.kind === 'healthy') {
        this.reportedEpisode = null;
        this.preHook?.reset();
      }
      this.blockedReason = null;
      return;
    }
    if (verdict.kind === 'partitioned' || verdict.kind === 'unconfirmed') {
      const reason =
        verdict.kind === 'partitioned'
          ? `standbys still hear the primary: ${verdict.seenBy.join(', ')} (monitor-side partition)`
          : verdict.reason;
      this.reportSuspect(verdict.kind, reason, verdict.kind === 'partitioned' ? verdict.seenBy : []);
      return;
    }
    if (!this.leadership.isLeader()) {
      const leader = this.leadership.leader();
      this.blockedReason = `this node does not lead the cluster; ${leader ? `${leader.nodeId} acts` : 'no node leads right now'}`;
      this.reportSuspect('follower', `primary confirmed down; ${this.blockedReason}`, []);
      return;
    }
    const control = { ...this.topology.state.control, disabledReason: this.automatic.disabledReason };
    const blocked =
      this.refusal ?? automaticFailoverBlocked(control, this.clock.now(), this.config.failover.cooldownMs);
    this.blockedReason = blocked;
    if (blocked) {
      this.reportSuspect('blocked', `primary confirmed down but automatic failover is blocked: ${blocked}`, []);
      return;
    }
    const gate = (await this.preHook?.ask(verdict.reason)) ?? { veto: null, asked: false };
    if (gate.veto) {
      this.blockedReason = gate.veto;
      this.reportSuspect(
        'vetoed',
        `primary confirmed down but the pre-failover hook vetoed the failover: ${gate.veto}`,
        [],
      );
      return;
    }
    // The hook may have run for up to FAILOVER_HOOK_TIMEOUT_MS: the verdict is that old.
    if (gate.asked && (await this.answersAgain())) return;
    if (this.stopped) return;
    await this.runner.failover(verdict.reason);
    this.forgetPrimary();
  }

  /** One more heartbeat after an allowing pre-hook: a primary restarted meanwhile is not failed over. */
  private async answersAgain(): Promise<boolean> {
    const again = await this.observePrimary(this.clock.now());
    if (!again.reachable) return false;
    this.logger.warn({ msg: 'primary answered again after the pre-hook: no failover', primary: again.key });
    this.primary = again;
    this.misses = 0;
    this.blockedReason = null;
    return true;
  }

  /**
   * A failover another leader left part-way (see PendingFailover), as the leader: once the
   * topology names its candidate, finish it (writes enabled); while the candidate is still
   * a standby and the primary answers again, give it back to the primary. True when it acted.
   */
  private async settlePending(primary: PrimaryObservation): Promise<boolean> {
    const pending = this.topology.state.pending;
    // The journal says which side of the point of no return it stopped on (journal/interrupted-failover.ts).
    const action = decideInterrupted({
      state: this.topology.state,
      primaryReachable: primary.reachable,
      blocked: this.blockedForServers(),
    });
    // 'resume' goes through act(): the failover resumes on the same candidate (resumingVerdict).
    if (!pending || action.kind === 'none' || action.kind === 'wait' || action.kind === 'resume') return false;
    this.logger.warn({ msg: `interrupted failover: ${action.kind}`, failoverId: pending.id, reason: action.reason });
    const settle =
      action.kind === 'finish'
        ? this.runner.finishPersisted(pending)
        : action.kind === 'roll-back'
          ? this.runner.abandonPending(pending)
          : this.runner.discardPending(pending);
    await settle.catch((error: unknown) =>
      this.logger.error({
        msg: 'could not settle an interrupted failover',
        failoverId: pending.id,
        err: messageOf(error),
      }),
    );
    return true;
  }

  /** Why this node may not act on the servers now (settling a failover, repairing a standby); null: it may. */
  private blockedForServers(): string | null {
    if (!this.leadership.isLeader()) return 'this node does not lead the cluster';
    if (this.runner.inProgress) return 'a failover or switchover is running';
    // A single node beside a cluster, and an operator's maintenance, leave the servers alone.
    if (this.refusal) return 'this node refuses to act (a cluster manages the database)';
    if (this.topology.state.control.maintenance) return 'maintenance mode';
    return null;
  }

  /**
   * The candidate of an interrupted failover no longer replicates, so it cannot confirm the
   * primary's death; the failover that stopped had confirmed it. Missed heartbeats are
   * enough to finish it.
   */
  private resumingVerdict(verdict: PrimaryVerdict): PrimaryVerdict {
    const pending = this.topology.state.pending;
    // Only "unconfirmed" (nobody can confirm); "partitioned" means a standby still hears the primary: never a failover.
    if (!pending || verdict.kind !== 'unconfirmed' || pending.oldPrimary !== this.topology.primaryKey) return verdict;
    if (this.misses < this.config.failover.failureThreshold) return verdict;
    return {
      kind: 'dead',
      misses: this.misses,
      reason: `resuming failover ${pending.id} (started by ${pending.by ?? 'this node'}): the primary still does not answer`,
    };
  }

  /** The primary changed (here, or on another node): what was counted about the old one no longer applies. */
  forgetPrimary(): void {
    this.misses = 0;
    this.contacts.clear();
    this.reportedEpisode = null;
  }

  /** Recomputed every tick: a warning appears when its cause does and goes when it is fixed; each change is logged. */
  private checkSetup(primary: PrimaryObservation, standbys: StandbyObservation[]): void {
    const seen = new Map<string, string>();
    const warn = (key: string, message: string) => seen.set(key, message);
    if (primary.heartbeat && !primary.heartbeat.semiSyncActive && standbys.length > 0) {
      warn(
        'semi-sync',
        'semi-synchronous replication is not active on the primary: a failover can lose the last writes it acknowledged',
      );
    }
    // A change running, or an intent pending (status warns about it), explains a read-only primary; nothing else does.
    if (primary.heartbeat?.readOnly && !this.runner.inProgress && !this.topology.state.pending) {
      warn(
        'primary-read-only',
        `the primary ${primary.key} is read-only: writes get 503 until it takes them again (SET GLOBAL read_only = OFF on it, if nothing else should be the primary)`,
      );
    }
    const detectionMs = this.config.failover.heartbeatIntervalMs * this.config.failover.failureThreshold;
    for (const standby of standbys) {
      const periodMs = (standby.status?.heartbeatPeriodSeconds ?? 0) * 1000;
      if (standby.status && (periodMs === 0 || 2 * periodMs > detectionMs)) {
        warn(
          `heartbeat-period:${standby.key}`,
          `${standby.key} has MASTER_HEARTBEAT_PERIOD ${periodMs / 1000} s: a hung primary is confirmed only after ${this.windowMs} ms; set it to at most ${detectionMs / 2000} s`,
        );
      }
    }
    if (this.marker?.managedBy === 'cluster' && !this.refusal && !this.config.cluster) {
      warn(
        'forced-single-node',
        `FAILOVER_FORCE_SINGLE_NODE=true: this single node fails over and fences a database a logic-ha cluster manages (it records epoch ${describeMarker(this.marker)}); make sure no cluster node still runs`,
      );
    }
    // A probe that failed this tick says nothing new: keep what was known about that server.
    if (!primary.reachable && this.warnings.has('semi-sync')) seen.set('semi-sync', this.warnings.get('semi-sync')!);
    for (const [key, message] of seen) if (!this.warnings.has(key)) this.logger.warn({ msg: message });
    for (const [key, message] of this.warnings) if (!seen.has(key)) this.logger.log({ msg: `resolved: ${message}` });
    this.warnings.clear();
    for (const [key, message] of seen) this.warnings.set(key, message);
  }

  private reportSuspect(episode: string, reason: string, seenBy: string[]): void {
    if (this.reportedEpisode === episode) return;
    this.reportedEpisode = episode;
    const primary = this.topology.primaryKey;
    this.logger.warn({ msg: 'primary suspect, no failover', primary, misses: this.misses, reason });
    this.events.emit('db.primary-suspect', {
      primary,
      epoch: this.topology.epoch,
      misses: this.misses,
      reason,
      seenBy,
    });
  }

  private async observePrimary(now: Date): Promise<PrimaryObservation> {
    const key = this.topology.primaryKey;
    const previous = this.primary?.key === key ? this.primary : null;
    try {
      const address = addressOf(this.topology, key);
      const heartbeat = await this.probe.heartbeat(address);
      if (this.readsMarker && this.marker === undefined) await this.readMarker(address);
      return { key, reachable: true, lastHeartbeatAt: now.toISOString(), lastError: null, heartbeat };
    } catch (error) {
      return {
        key,
        reachable: false,
        lastHeartbeatAt: previous?.lastHeartbeatAt ?? null,
        lastError: messageOf(error),
        failure: classifyHeartbeatFailure(error),
        heartbeat: previous?.heartbeat ?? null,
      };
    }
  }

  /** Only a single node asks whether a cluster manages the database; a cluster node follows its leader. */
  private get readsMarker(): boolean {
    return this.config.cluster === undefined;
  }

  /** A failure (no grant, say) is logged once and read again at the next heartbeat; a missing table is no marker. */
  private async readMarker(address: ServerAddress): Promise<void> {
    let marker: RecordedEpoch | null;
    try {
      marker = await this.probe.recordedEpoch(address);
    } catch (error) {
      if (!this.markerReadFailed)
        this.logger.warn({
          msg: 'could not read the epoch marker; trying again at each heartbeat',
          err: messageOf(error),
        });
      this.markerReadFailed = true;
      return;
    }
    this.marker = marker;
    if (marker?.managedBy !== 'cluster') return;
    if (this.config.failover.forceSingleNode) {
      this.logger.warn({
        msg: 'the database is managed by a logic-ha cluster; FAILOVER_FORCE_SINGLE_NODE=true: acting anyway',
        marker,
      });
      return;
    }
    this.refusal =
      `the database is managed by a logic-ha cluster: ${address.key} records epoch ${describeMarker(marker)}, and this node runs ` +
      `in single-node mode (no ETCD_ENDPOINTS). It watches but does not fail over or fence. Join the cluster (ETCD_ENDPOINTS), ` +
      `or, if that cluster is gone for good, set FAILOVER_FORCE_SINGLE_NODE=true`;
    this.logger.error({ msg: `failover monitor refuses to act: ${this.refusal}`, marker });
  }

  /**
   * Fencing is an action: a single node on a cluster's database leaves it to the cluster.
   * Until the marker has been read, fencing waits for this tick's heartbeat, which reads it.
   */
  private async enforceFencing(observed: Promise<PrimaryObservation>): Promise<void> {
    if (this.readsMarker && this.marker === undefined) await observed;
    // Fencing is an action: only the leader takes it (always this node in single-node mode).
    if (this.refusal || !this.leadership.isLeader()) return;
    await this.fencer.enforceAll();
    // Starts a rejoin in the background (never awaited here: a catch-up must not delay the heartbeat).
    this.rejoin?.poke();
  }

  private observeStandbys(now: Date): Promise<StandbyObservation[]> {
    return Promise.all(
      this.topology.standbys().map(async ({ key }) => {
        const contact = this.contacts.get(key) ?? new StandbyContact();
        this.contacts.set(key, contact);
        const previous = this.standbys.find((s) => s.key === key);
        try {
          const status = await this.probe.replicaStatus(addressOf(this.topology, key));
          contact.observe(now.getTime(), status);
          const silence = contact.silenceMs(now.getTime());
          return {
            key,
            reachable: status !== null,
            lastSeenAt: now.toISOString(),
            lastError: status ? null : 'not replicating',
            status,
            silenceMs: silence ?? null,
          };
        } catch (error) {
          contact.observe(now.getTime(), null);
          return {
            key,
            reachable: false,
            lastSeenAt: previous?.lastSeenAt ?? null,
            lastError: messageOf(error),
            status: previous?.status ?? null,
            silenceMs: null,
          };
        }
      }),
    );
  }

  /**
   * A pool closed by a failed failover, never reopened, or never opened (the service started
   * while the primary was down) comes back once the primary answers; its first open runs the
   * start-up migration. A schema refusal there is final: no retry every tick.
   */
  private async reopenPoolIfClosed(): Promise<void> {
    if (!this.pool.switching || this.runner.inProgress || this.pool.schemaRefusal) return;
    await this.pool.reopenOnPrimary().then(
      () => this.logger.log({ msg: 'app pool reopened on the primary', primary: this.topology.primaryKey }),
      (error: unknown) => this.logger.warn({ msg: 'app pool still closed', err: messageOf(error) }),
    );
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.loop(), delayMs);
  }

  /** The primary closed the monitor's connection (a killed server does at once): heartbeat now, not at the next tick. */
  private connectionLost(key: string): void {
    if (this.stopped || key !== this.topology.primaryKey || this.fastPath.disabled) return;
    if (this.ticking) {
      this.soon = true;
      return;
    }
    clearTimeout(this.timer);
    // Never more than one extra heartbeat per fast-path probe spacing, whatever closes the connections.
    this.schedule(Math.max(0, this.lastTickStartedAt + this.fastPath.spacingMs - performance.now()));
  }

  private async loop(): Promise<void> {
    const started = performance.now();
    this.lastTickStartedAt = started;
    this.ticking = true;
    this.soon = false;
    try {
      this.current = this.tick();
      await this.current;
    } catch (error) {
      this.logger.error({
        msg: 'failover monitor tick failed',
        err: error instanceof Error ? error.stack : String(error),
      });
    }
    this.ticking = false;
    const elapsed = performance.now() - started;
    if (this.soon) this.schedule(Math.max(0, this.fastPath.spacingMs - elapsed));
    else this.schedule(Math.max(0, this.config.failover.heartbeatIntervalMs - elapsed));
  }
}

function toStandbyView(observation: StandbyObservation): StandbyView {
  return {
    key: observation.key,
    reachable: observation.reachable && observation.status?.ioRunning !== 'No',
    silenceMs: observation.silenceMs ?? undefined,
    ioState: observation.status?.ioRunning,
    lastIoError: observation.status?.lastIoError,
    lastIoErrno: observation.status?.lastIoErrno,
  };
}

function describeMarker(marker: RecordedEpoch): string {
  return `${marker.epoch} (managedBy ${marker.managedBy}${marker.writer ? `, written by ${marker.writer}` : ''}, at ${marker.recordedAt})`;
}
