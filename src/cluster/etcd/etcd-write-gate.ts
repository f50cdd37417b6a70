import { Logger } from '@nestjs/common';
import { messageOf } from '../../common/errors/error-message';
import type { DatabaseTopology } from '../../database/topology/database-topology';
import { WriteGate, type WriteVerdict } from '../write-gate';
import type { FailsafeProbe } from './failsafe-probe';
import type { LeaseKeeper } from './lease-keeper';

/**
 * Cluster mode's write gate. A node cut off from etcd cannot know whether a failover
 * happened behind its back, so after CLUSTER_LEASE_TTL_MS without contact it stops
 * writing. When contact returns after such a gap (a partition, a SIGSTOP), the topology is
 * read again first (the pool follows a moved primary), and only then do writes resume.
 */
export class EtcdWriteGate extends WriteGate {
  private readonly logger = new Logger('Cluster');
  /** The topology has not been read since the last gap in etcd contact. */
  private stale = true;
  private rereading = false;

  constructor(
    private readonly keeper: LeaseKeeper,
    private readonly topology: DatabaseTopology,
    private readonly failsafe: FailsafeProbe | null,
  ) {
    super();
  }

  /** The lease was first renewed before this runs (at start): read the topology now if etcd answered. */
  start(): void {
    this.keeper.onRenewed(({ gapMs }) => {
      if (gapMs > this.keeper.ttlMs) this.stale = true;
      if (this.stale) void this.reread();
    });
    if (this.keeper.msSinceContact() <= this.keeper.ttlMs) void this.reread();
  }

  verdict(): WriteVerdict {
    const silentMs = this.keeper.msSinceContact();
    if (silentMs > this.keeper.ttlMs) {
      this.stale = true;
      const failsafe = this.failsafe?.confirmed();
      if (failsafe?.confirmed) return { allowed: true, via: 'failsafe' };
      const since = Number.isFinite(silentMs) ? `for ${Math.round(silentMs / 1000)} s` : 'since start';
      return {
        allowed: false,
        reason:
          `this node has not reached etcd ${since} (more than CLUSTER_LEASE_TTL_MS): a failover may have happened without it` +
          (failsafe ? `; failsafe not confirmed: ${failsafe.reason}` : ''),
      };
    }
    if (this.stale) return { allowed: false, reason: 'etcd is reachable again; re-reading the topology first' };
    return { allowed: true, via: 'etcd' };
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
    } catch (error) {
      this.logger.warn({ msg: 'could not re-read the topology; writes stay suspended', err: messageOf(error) });
    } finally {
      this.rereading = false;
    }
  }
}
