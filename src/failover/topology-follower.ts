import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { messageOf } from '../common/errors/error-message';
import { EventBus } from '../common/events/event-bus';
import { DatabaseTopology } from '../database/topology/database-topology';
import type { FailoverKind, TopologyState } from '../database/topology/topology-state';
import { AppPool } from './app-pool';
import { FailoverMonitor } from './failover-monitor.service';

/**
 * Cluster mode: another node (the leader) moved the primary. This node follows: its pool
 * is closed at once (requests answer 503 + Retry-After, as during a failover here) and
 * reopened on the new primary; its clients hear `db.primary-changed`; its monitor forgets
 * what it counted about the old primary. In single-node mode no such change ever arrives.
 */
@Injectable()
export class TopologyFollower implements OnApplicationBootstrap {
  private readonly logger = new Logger('Failover');

  constructor(
    private readonly topology: DatabaseTopology,
    private readonly pool: AppPool,
    private readonly monitor: FailoverMonitor,
    private readonly events: EventBus,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.topology.replicated) return;
    this.topology.onChange((next, previous) => {
      if (next.primary !== previous.primary) void this.follow(next, previous);
    });
  }

  private async follow(next: TopologyState, previous: TopologyState): Promise<void> {
    this.logger.warn({
      msg: 'the primary moved (changed by another node): re-pointing this node',
      oldPrimary: previous.primary,
      newPrimary: next.primary,
      epoch: next.epoch,
    });
    this.monitor.forgetPrimary();
    const closing = this.pool.close({ abandon: true });
    this.events.emit('db.primary-changed', {
      ...changeBehind(next, previous),
      epoch: next.epoch,
      oldPrimary: previous.primary,
      newPrimary: next.primary,
      at: new Date(),
    });
    try {
      await closing;
      await this.pool.reopenOnPrimary();
      this.logger.log({ msg: 'this node writes to the new primary', primary: next.primary, epoch: next.epoch });
    } catch (error) {
      // The monitor reopens a closed pool at its next tick once the primary answers.
      this.logger.warn({ msg: 'could not reopen the pool on the new primary yet', err: messageOf(error) });
    }
  }
}

/**
 * Which change moved the primary to `next`. Not simply the newest history record: a vetoed
 * failover is recorded too and changed nothing, and the mover's own record is written after
 * the move (a later update), so the newest one may be an older change. The record of this
 * epoch when it is there; else the failover's intent (kept until the new primary takes
 * writes); else the epoch, with the kind told by fencing (a failover fences the old primary).
 */
function changeBehind(next: TopologyState, previous: TopologyState): { id: string; kind: FailoverKind } {
  const record = next.history.find((r) => r.outcome !== 'vetoed' && r.epoch === next.epoch);
  if (record) return { id: record.id, kind: record.kind };
  if (next.pending?.candidate === next.primary) return { id: next.pending.id, kind: 'failover' };
  return { id: `epoch-${next.epoch}`, kind: next.fenced.includes(previous.primary) ? 'failover' : 'switchover' };
}
