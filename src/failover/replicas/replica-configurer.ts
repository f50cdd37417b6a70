import { Injectable, Logger } from '@nestjs/common';
import { messageOf } from '../../common/errors/error-message';
import { EventBus } from '../../common/events/event-bus';
import { Clock } from '../../common/time/clock';
import { AppConfig } from '../../config/app-config';
import { DatabaseTopology } from '../../database/topology/database-topology';
import type { ReplicaStatus } from '../probes/replica-status';
import { ServerProbe } from '../probes/server-probe';
import { addressOf } from '../server-address';

/** What the monitor saw this heartbeat, as the configurer needs it. */
export interface ConfigureRound {
  primary: string;
  standbys: { key: string; status: ReplicaStatus | null }[];
}

export interface ReplicaChange {
  server: string;
  changes: string[];
  at: string;
}

const KEPT_CHANGES = 20;
/**
 * Between two checks of the same primary: settings rarely change, and a check that hangs on a
 * server that just stopped answering delays the next heartbeat. A new primary is checked at once.
 */
const CHECK_EVERY_MS = 5000;
/** A standby whose IO thread still does not acknowledge after a reconnect is not reconnected again before this. */
const RECONNECT_BACKOFF_MS = 60_000;
/** The period a standby gets when it needs one: what a re-pointed replica gets, unless the window is shorter. */
const PREFERRED_PERIOD_S = 1;

/**
 * FAILOVER_CONFIGURE_REPLICAS: after a healthy heartbeat (every 5 s, and at once for a new primary), sets what the failover's safety
 * rests on instead of only warning about it. On every replicating standby: read_only ON,
 * MASTER_HEARTBEAT_PERIOD at most half the detection window (a hung primary is noticed
 * within the window), rpl_semi_sync_slave_enabled ON with its IO thread reconnected so it
 * acknowledges, and rpl_semi_sync_master_enabled OFF (a standby that waits for
 * acknowledgements stalls what it applies). On the primary, once a standby replicates: rpl_semi_sync_master_enabled
 * ON. So the semi-sync roles follow the primary across switchovers and failovers, at the
 * first healthy heartbeat after the change. Each change is checked first and made only
 * when wrong; it is logged, emitted (db.replica-configured) and kept for the status.
 *
 * rpl_semi_sync_master_timeout and _wait_point are left as the operator set them: they
 * trade write stalls against durability (docs/deploy-mariadb.md).
 */
@Injectable()
export class ReplicaConfigurer {
  private readonly logger = new Logger('ReplicaConfigurer');
  private readonly changes: ReplicaChange[] = [];
  /** The last failure per server, logged once until it changes. */
  private readonly failures = new Map<string, string>();
  /** When each standby's IO thread was last reconnected for semi-sync (ms since epoch). */
  private readonly reconnectedAt = new Map<string, number>();
  private lastCheck: { primary: string; at: number } | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly topology: DatabaseTopology,
    private readonly probe: ServerProbe,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.config.failover.configureReplicas;
  }

  view() {
    return {
      enabled: this.enabled,
      recentChanges: [...this.changes],
      failures: [...this.failures].map(([server, error]) => ({ server, error })),
    };
  }

  /** One pass; the caller runs it only after a healthy heartbeat, as the leader, with no primary change running. */
  async configure(round: ConfigureRound): Promise<void> {
    if (!this.enabled || !this.due(round.primary)) return;
    const replicating = round.standbys.filter(
      (s) => s.status && s.status.ioRunning !== 'No' && s.status.sqlRunning === 'Yes',
    );
    await Promise.all(replicating.map((s) => this.attempt(s.key, () => this.configureStandby(s.key, s.status!))));
    if (replicating.length > 0) await this.attempt(round.primary, () => this.configurePrimary(round.primary));
  }

  private due(primary: string): boolean {
    const now = this.clock.now().getTime();
    if (this.lastCheck?.primary === primary && now - this.lastCheck.at < CHECK_EVERY_MS) return false;
    this.lastCheck = { primary, at: now };
    return true;
  }

  /** The largest period that still lets a hung primary be noticed within the window. */
  get maxHeartbeatPeriodSeconds(): number {
    return (this.config.failover.heartbeatIntervalMs * this.config.failover.failureThreshold) / 2000;
  }

  private async configureStandby(key: string, status: ReplicaStatus): Promise<string[]> {
    const address = addressOf(this.topology, key);
    const settings = await this.probe.replicationSettings(address);
    const done: string[] = [];
    if (!settings.readOnly) {
      await this.probe.setReadOnly(address, true);
      done.push('read_only OFF -> ON');
    }
    if (!settings.semiSyncSlaveEnabled) {
      await this.probe.setSemiSync(address, 'slave', true);
      done.push('rpl_semi_sync_slave_enabled OFF -> ON');
    }
    // A standby that is a semi-sync master too (a demoted primary, or both roles set by hand)
    // waits rpl_semi_sync_master_timeout on the first transaction it applies: nobody acknowledges it.
    if (settings.semiSyncMasterEnabled) {
      await this.probe.setSemiSync(address, 'master', false);
      done.push('rpl_semi_sync_master_enabled ON -> OFF (a standby acknowledges, it does not wait)');
    }
    const period = status.heartbeatPeriodSeconds;
    const maxPeriod = this.maxHeartbeatPeriodSeconds;
    if (period <= 0 || period > maxPeriod) {
      const target = Math.min(PREFERRED_PERIOD_S, maxPeriod);
      // Restarts both threads: the IO thread reconnects with semi-sync too.
      await this.probe.setHeartbeatPeriod(address, target);
      done.push(`MASTER_HEARTBEAT_PERIOD ${period} -> ${target} s (replication restarted)`);
    } else if (!settings.semiSyncSlaveEnabled || (!settings.semiSyncSlaveActive && this.mayReconnect(key, status))) {
      // Set on a running IO thread, semi-sync takes effect only when it reconnects.
      await this.probe.restartReplicaIo(address);
      this.reconnectedAt.set(key, this.clock.now().getTime());
      done.push('IO thread reconnected to acknowledge semi-sync');
    }
    return done;
  }

  /** Only a connected IO thread, and not again and again when reconnecting does not help. */
  private mayReconnect(key: string, status: ReplicaStatus): boolean {
    const last = this.reconnectedAt.get(key);
    return (
      status.ioRunning === 'Yes' && (last === undefined || this.clock.now().getTime() - last >= RECONNECT_BACKOFF_MS)
    );
  }

  private async configurePrimary(key: string): Promise<string[]> {
    const address = addressOf(this.topology, key);
    const settings = await this.probe.replicationSettings(address);
    if (settings.semiSyncMasterEnabled) return [];
    await this.probe.setSemiSync(address, 'master', true);
    return ['rpl_semi_sync_master_enabled OFF -> ON'];
  }

  private async attempt(server: string, work: () => Promise<string[]>): Promise<void> {
    try {
      const done = await work();
      if (this.failures.delete(server)) this.logger.log({ msg: 'replica configuration works again', server });
      if (done.length > 0) this.report(server, done);
    } catch (error) {
      const message = messageOf(error);
      if (this.failures.get(server) !== message)
        this.logger.warn({
          msg: 'could not configure replication (FAILOVER_CONFIGURE_REPLICAS)',
          server,
          err: message,
        });
      this.failures.set(server, message);
    }
  }

  private report(server: string, changes: string[]): void {
    this.logger.warn({ msg: 'replication settings changed (FAILOVER_CONFIGURE_REPLICAS)', server, changes });
    this.changes.unshift({ server, changes, at: this.clock.now().toISOString() });
    this.changes.splice(KEPT_CHANGES);
    this.events.emit('db.replica-configured', { server, changes });
  }
}
