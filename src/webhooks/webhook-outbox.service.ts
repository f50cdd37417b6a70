import { Injectable, Logger } from '@nestjs/common';
import type { AppEventMap, AppEventName } from '../common/events/app-events';
import { OnAppEvent } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { WebhookDeliveryStore } from './webhook-delivery.store';
import type { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { derivedMessageId, toWebhookEvent } from './webhook-events';
import { newMessageId } from './webhook-signature';

/** Events kept in memory while the database refuses them (a failover in progress), oldest dropped beyond this. */
const MAX_UNSAVED = 1000;

/**
 * Turns app events into delivery rows, one per configured endpoint, written before any
 * attempt. An event that arrives while the database cannot take it (the primary is the one
 * failing over) is kept in memory and written at the next chance (`flush`), with the time it
 * happened; a restart before then loses it.
 */
@Injectable()
export class WebhookOutbox {
  private readonly logger = new Logger('Webhooks');
  private unsaved: WebhookDeliveryEntity[][] = [];
  /** Flushes run one after another: two at once would both write the oldest group and drop the next. */
  private flushing: Promise<void> = Promise.resolve();
  /** Called after rows were written: the dispatcher sends at once instead of at the next poll. */
  onRecorded: () => void = () => undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly store: WebhookDeliveryStore,
    private readonly clock: Clock,
  ) {}

  @OnAppEvent('db.failover-started')
  onFailoverStarted(e: AppEventMap['db.failover-started']) {
    return this.record('db.failover-started', e);
  }

  @OnAppEvent('db.primary-changed')
  onPrimaryChanged(e: AppEventMap['db.primary-changed']) {
    return this.record('db.primary-changed', e);
  }

  @OnAppEvent('db.failover-failed')
  onFailoverFailed(e: AppEventMap['db.failover-failed']) {
    return this.record('db.failover-failed', e);
  }

  @OnAppEvent('db.failover-vetoed')
  onFailoverVetoed(e: AppEventMap['db.failover-vetoed']) {
    return this.record('db.failover-vetoed', e);
  }

  @OnAppEvent('db.possible-loss')
  onPossibleLoss(e: AppEventMap['db.possible-loss']) {
    return this.record('db.possible-loss', e);
  }

  @OnAppEvent('db.old-primary-fenced')
  onFenced(e: AppEventMap['db.old-primary-fenced']) {
    return this.record('db.old-primary-fenced', e);
  }

  @OnAppEvent('db.rejoined')
  onRejoined(e: AppEventMap['db.rejoined']) {
    return this.record('db.rejoined', e);
  }

  @OnAppEvent('db.errant-transactions')
  onErrantTransactions(e: AppEventMap['db.errant-transactions']) {
    return this.record('db.errant-transactions', e);
  }

  @OnAppEvent('db.standby-problem')
  onStandbyProblem(e: AppEventMap['db.standby-problem']) {
    return this.record('db.standby-problem', e);
  }

  @OnAppEvent('db.semi-sync-changed')
  onSemiSyncChanged(e: AppEventMap['db.semi-sync-changed']) {
    return this.record('db.semi-sync-changed', e);
  }

  @OnAppEvent('backup.failed')
  onBackupFailed(e: AppEventMap['backup.failed']) {
    return this.record('backup.failed', e);
  }

  @OnAppEvent('backup.test-restore-failed')
  onTestRestoreFailed(e: AppEventMap['backup.test-restore-failed']) {
    return this.record('backup.test-restore-failed', e);
  }

  @OnAppEvent('cluster.leader-changed')
  onLeaderChanged(e: AppEventMap['cluster.leader-changed']) {
    return this.record('cluster.leader-changed', e);
  }

  /** Resolves once the rows are written (or kept for later); never rejects: a listener must not throw. */
  async record<K extends AppEventName>(name: K, payload: AppEventMap[K]): Promise<void> {
    const endpoints = this.config.webhooks.endpoints;
    if (endpoints.length === 0) return;
    const event = toWebhookEvent(name, payload);
    if (!event) return;
    const now = this.clock.now();
    const messageId = event.key === undefined ? newMessageId() : derivedMessageId(event.type, event.key);
    const payloadJson = JSON.stringify({ type: event.type, timestamp: now.toISOString(), data: event.data });
    const disabled = await this.store.disabledEndpoints().catch(() => new Map<string, unknown>());
    const rows = endpoints.map((endpoint) =>
      deliveryRow(messageId, endpoint.id, event.type, payloadJson, now, disabled.has(endpoint.id)),
    );
    this.unsaved.push(rows);
    if (this.unsaved.length > MAX_UNSAVED) {
      const dropped = this.unsaved.shift()!;
      this.logger.error({
        msg: 'webhook event dropped: the database refused events for too long',
        type: dropped[0].type,
      });
    }
    await this.flush();
  }

  /** Writes what is still in memory, oldest first; stops at the first refusal and keeps the rest. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushNow());
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    let written = 0;
    while (this.unsaved.length > 0) {
      try {
        await this.store.insert(this.unsaved[0]);
      } catch (error) {
        this.logger.warn({
          msg: 'webhook event not yet recorded: the database refused it; retrying',
          waiting: this.unsaved.length,
          error: (error as Error).message,
        });
        break;
      }
      this.unsaved.shift();
      written++;
    }
    if (written > 0) this.onRecorded();
  }

  get waiting(): number {
    return this.unsaved.length;
  }
}

function deliveryRow(
  messageId: string,
  endpoint: string,
  type: string,
  payload: string,
  now: Date,
  disabled: boolean,
): WebhookDeliveryEntity {
  return {
    messageId,
    endpoint,
    type,
    payload,
    status: disabled ? 'disabled' : 'pending',
    attempts: 0,
    createdAt: now,
    nextAttemptAt: disabled ? null : now,
    lastAttemptAt: null,
    deliveredAt: null,
    responseStatus: null,
    lastError: disabled ? 'the endpoint is disabled (it answered 410 Gone): not sent' : null,
    claimedBy: null,
    claimedUntil: null,
  };
}
