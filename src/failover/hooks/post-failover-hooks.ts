import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Leadership } from '../../cluster';
import type { DbFailoverFailedEvent, DbPrimaryChangedEvent } from '../../common/events/app-events';
import { OnAppEvent } from '../../common/events/event-bus';
import { Clock } from '../../common/time/clock';
import { FailoverHooks } from './failover-hooks';
import { HookEvent, HookName } from './hook-event';

/**
 * FAILOVER_POST_HOOK after a failover or switchover succeeded (db.primary-changed),
 * FAILOVER_FAILED_HOOK after one failed (db.failover-failed). Fire and forget: the change
 * is done (or undone) by then, and neither the hook's exit code nor its time changes it.
 * Runs still going are awaited at shutdown (each is bounded by its timeout).
 *
 * Only the node that made the change runs them: in cluster mode the other nodes also emit
 * db.primary-changed when they follow the new topology, but they do not lead.
 */
@Injectable()
export class PostFailoverHooks implements OnApplicationShutdown {
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly hooks: FailoverHooks,
    private readonly leadership: Leadership,
    private readonly clock: Clock,
  ) {}

  @OnAppEvent('db.primary-changed')
  onPrimaryChanged(change: DbPrimaryChangedEvent): void {
    this.fire('FAILOVER_POST_HOOK', {
      event: 'post-failover',
      kind: change.kind,
      failoverId: change.id,
      oldPrimary: change.oldPrimary,
      newPrimary: change.newPrimary,
      epoch: change.epoch,
      reason: null,
      step: null,
      clusterNode: this.node(),
      at: change.at.toISOString(),
    });
  }

  @OnAppEvent('db.failover-failed')
  onFailoverFailed(failure: DbFailoverFailedEvent): void {
    this.fire('FAILOVER_FAILED_HOOK', {
      event: 'failover-failed',
      kind: failure.kind,
      failoverId: failure.id,
      oldPrimary: failure.oldPrimary,
      newPrimary: null,
      epoch: failure.epoch,
      reason: failure.reason,
      step: failure.step,
      clusterNode: this.node(),
      at: this.clock.now().toISOString(),
    });
  }

  /** Resolves once every hook started so far has ended. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.idle();
  }

  private fire(hook: HookName, event: HookEvent): void {
    if (!this.hooks.configured(hook) || !this.leadership.isLeader()) return;
    // FailoverHooks.run never rejects; the catch only keeps a bug from becoming an unhandled rejection.
    const run = this.hooks.run(hook, event).catch(() => undefined);
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  private node(): string | null {
    return this.leadership.mode === 'etcd' ? this.leadership.nodeId : null;
  }
}
