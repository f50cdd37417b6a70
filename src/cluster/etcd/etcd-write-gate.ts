import { Logger } from '@nestjs/common';
import { messageOf } from '../../common/errors/error-message';
import type { EventBus } from '../../common/events/event-bus';
import type { DataSourceSwitch } from '../../database/data-source-switch';
import type { DatabaseTopology } from '../../database/topology/database-topology';
import { WriteGate, type WriteVerdict } from '../write-gate';
import type { FailsafeProbe } from './failsafe-probe';
import type { LeaseKeeper } from './lease-keeper';

/** What the gate does besides answering: drop the pool, tell the clients. */
export interface WriteGateEffects {
  /** null in the CLI, which has no pool (and never starts the gate). */
  pool: Pick<DataSourceSwitch, 'close' | 'open' | 'isOpen' | 'reopenedBy'> | null;
  events: Pick<EventBus, 'emit'>;
  nodeId: string;
}

/**
 * Cluster mode's write gate. A node cut off from etcd cannot know whether a failover
 * happened behind its back, so it stops writing once etcd may have expired its lease: at
 * the lease's own deadline (the SEND time of the last successful renewal + TTL − margin,
 * see LeaseKeeper.contactRemainingMs), never after another node could take over. When
 * contact returns after such a gap (a partition, a SIGSTOP), the topology is read again
 * first (the pool follows a moved primary), and only then do writes resume.
 *
 * Refusing new requests is not enough: a commit already on its way (sent before the gate
 * closed, waiting on the semi-sync ack of a standby that was promoted meanwhile) would be
 * acknowledged late. So the gate watches itself (a timer due at the deadline, and every
 * TTL/8), and the moment it closes it drops the app's pool (sockets cut): such commits
 * fail instead. The failover monitor reopens the pool at its next tick (on the primary
 * this node knows: reads go on); the guard keeps refusing writes until the gate opens.
 */
export class EtcdWriteGate extends WriteGate {
  private readonly logger = new Logger('Cluster');
  /** The topology has not been read since the last gap in etcd contact. */
  private stale = true;
  private rereading = false;
  /** The last verdict allowed writes: a change to refused drops the pool. */
  private wasOpen = false;
  /** The gate dropped the pool: it reopens it itself when no monitor does (no DB_ADMIN_USER). */
  private dropped = false;
  private reopening = false;
  /** etcd-lost was reported for the current gap; the silence the ending renewal reported. */
  private lost = false;
  private lastGapMs = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly keeper: LeaseKeeper,
    private readonly topology: DatabaseTopology,
    private readonly failsafe: FailsafeProbe | null,
    private readonly effects: WriteGateEffects,
  ) {
    super();
  }

  /** The lease was first renewed before this runs (at start): read the topology now if etcd answered. */
  start(): void {
    this.keeper.onRenewed(({ gapMs, lapsed }) => {
      if (lapsed) {
        this.stale = true;
        this.lastGapMs = gapMs;
        // Woken after a pause (SIGSTOP, a GC) with the renewal answered before the timer ran.
        if (Number.isFinite(gapMs)) this.reportLost(gapMs, false);
        this.verdict();
      }
      if (this.stale) void this.reread();
      this.schedule();
    });
    if (this.keeper.inContact()) void this.reread();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  verdict(): WriteVerdict {
    const verdict = this.judge();
    this.follow(verdict);
    return verdict;
  }

  private judge(): WriteVerdict {
    if (!this.keeper.inContact()) {
      this.stale = true;
      const silentMs = this.keeper.msSinceContact();
      const failsafe = this.failsafe?.confirmed();
      if (failsafe?.confirmed) return { allowed: true, via: 'failsafe' };
      const since = Number.isFinite(silentMs) ? `for ${Math.round(silentMs / 1000)} s` : 'since start';
      return {
        allowed: false,
        reason:
          `this node has not reached etcd ${since} (its lease may have expired: CLUSTER_LEASE_TTL_MS): a failover may have happened without it` +
          (failsafe ? `; failsafe not confirmed: ${failsafe.reason}` : ''),
      };
    }
    if (this.stale) return { allowed: false, reason: 'etcd is reachable again; re-reading the topology first' };
    return { allowed: true, via: 'etcd' };
  }

  /** Acts on a change of verdict: etcd lost, and open → closed. */
  private follow(verdict: WriteVerdict): void {
    const silentMs = this.keeper.msSinceContact();
    if (!this.keeper.inContact() && Number.isFinite(silentMs))
      this.reportLost(silentMs, verdict.allowed && verdict.via === 'failsafe');
    if (verdict.allowed) {
      this.wasOpen = true;
      return;
    }
    if (!this.wasOpen) return;
    this.wasOpen = false;
    if (!this.effects.pool) return;
    this.logger.warn({
      msg: 'writes suspended: dropping the app pool, so commits in flight fail instead of being acknowledged late',
      reason: verdict.reason,
    });
    void this.effects.pool
      .close({ abandon: true })
      .then(() => (this.dropped = true))
      .catch((error: unknown) => this.logger.warn({ msg: 'could not drop the app pool', err: messageOf(error) }));
  }

  private reportLost(silentMs: number, failsafe: boolean): void {
    if (this.lost) return;
    this.lost = true;
    this.effects.events.emit('cluster.etcd-lost', { node: this.effects.nodeId, silentMs, failsafe });
  }

  /**
   * Due at the contact deadline (the gate closes then, not up to a period later), and at
   * least every TTL/8: the failsafe's answer changes too, and the pool may need reopening.
   */
  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const period = Math.max(50, Math.floor(this.keeper.ttlMs / 8));
    const untilDeadline = this.keeper.contactRemainingMs();
    const delay = untilDeadline > 0 ? Math.min(period, Math.ceil(untilDeadline)) : period;
    this.timer = setTimeout(() => this.tick(), delay);
    this.timer.unref();
  }

  private tick(): void {
    this.verdict();
    this.reopenIfNobodyDoes();
    this.schedule();
  }

  /**
   * Without a failover monitor (no DB_ADMIN_USER), nothing else reopens a pool the gate
   * dropped. Reopened while the gate is closed it serves reads; the guard refuses writes.
   */
  private reopenIfNobodyDoes(): void {
    const { pool } = this.effects;
    if (!pool || !this.dropped || this.reopening) return;
    if (pool.isOpen || pool.reopenedBy) {
      this.dropped = false;
      return;
    }
    this.reopening = true;
    void pool
      .open(this.topology.primaryEndpoint(), { attempts: 1 })
      .then(() => (this.dropped = false))
      .catch((error: unknown) => this.logger.debug({ msg: 'app pool still closed', err: messageOf(error) }))
      .finally(() => (this.reopening = false));
  }

  private async reread(): Promise<void> {
    if (this.rereading) return;
    this.rereading = true;
    try {
      const state = await this.topology.refresh();
      this.stale = false;
      this.logger.log({
        msg: 'topology re-read from etcd; writes allowed',
        epoch: state.epoch,
        primary: state.primary,
      });
      if (this.lost) {
        this.lost = false;
        this.effects.events.emit('cluster.etcd-regained', { node: this.effects.nodeId, silentMs: this.lastGapMs });
      }
    } catch (error) {
      this.logger.warn({ msg: 'could not re-read the topology; writes stay suspended', err: messageOf(error) });
    } finally {
      this.rereading = false;
    }
  }
}
