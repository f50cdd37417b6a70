import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { WebhookDeliveryStore } from './webhook-delivery.store';
import { WebhookDispatcher, WebhookNodeId } from './webhook-dispatcher';
import { WebhookOutbox } from './webhook-outbox.service';
import { WebhookTimer } from './webhook-ports';

export const RUN_WEBHOOK_WORKER = Symbol('RUN_WEBHOOK_WORKER');

/**
 * Runs the dispatcher in the service (not in one-off CLI commands, whose events are still
 * recorded and sent by the service): every WEBHOOK_POLL_INTERVAL_MS, and at once when an
 * event was recorded. Any node may send: rows are claimed atomically, so in a cluster each
 * attempt is made by one node, and a node that dies mid-attempt loses its claim at expiry.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Webhooks');
  private stopTimer: (() => void) | null = null;
  private prepared = false;
  private tickRunning: Promise<void> | null = null;

  constructor(
    @Inject(RUN_WEBHOOK_WORKER) private readonly run: boolean,
    private readonly config: AppConfig,
    private readonly store: WebhookDeliveryStore,
    private readonly outbox: WebhookOutbox,
    private readonly dispatcher: WebhookDispatcher,
    private readonly timer: WebhookTimer,
    private readonly node: WebhookNodeId,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.run || this.config.webhooks.endpoints.length === 0) return;
    this.outbox.onRecorded = () => void this.tick();
    this.stopTimer = this.timer.every(this.config.webhooks.pollIntervalMs, () => void this.tick());
    void this.tick();
  }

  // Before the data source closes (at application shutdown): the last attempt is recorded.
  async onModuleDestroy(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = null;
    this.outbox.onRecorded = () => undefined;
    await this.tickRunning;
    await this.dispatcher.idle();
  }

  /** One round: first-run housekeeping, events kept in memory, then what is due. Never throws. */
  tick(): Promise<void> {
    if (this.tickRunning)
      return this.dispatcher.runDue().then(
        () => undefined,
        () => undefined,
      );
    this.tickRunning = this.round().finally(() => (this.tickRunning = null));
    return this.tickRunning;
  }

  private async round(): Promise<void> {
    try {
      await this.prepare();
      await this.outbox.flush();
      await this.dispatcher.runDue();
    } catch (error) {
      this.logger.warn({
        msg: 'webhook worker: the database refused a round; next round soon',
        error: (error as Error).message,
      });
    }
  }

  private async prepare(): Promise<void> {
    if (this.prepared) return;
    await this.store.releaseClaims(this.node.value);
    const configured = this.config.webhooks.endpoints.map((e) => e.id);
    const orphaned = await this.store.failUnconfigured(configured, 'the endpoint is no longer in WEBHOOK_URLS');
    if (orphaned > 0)
      this.logger.warn({ msg: 'webhook deliveries to removed endpoints marked failed', count: orphaned });
    this.prepared = true;
  }
}
