import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/time/clock';
import type { WebhookEndpointConfig } from '../config/app-config';
import { AppConfig } from '../config/app-config';
import { nextAttempt } from './retry-schedule';
import type { AttemptOutcome } from './webhook-delivery.store';
import { WebhookDeliveryStore } from './webhook-delivery.store';
import type { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookSender } from './webhook-ports';
import { signWebhook } from './webhook-signature';
import { WebhookMetrics } from './webhook.metrics';

/** Rows claimed per pass; each pass sends them in parallel, so one slow receiver does not hold up the others. */
const BATCH = 20;
/** A claim outlives the attempt's timeout by this much, then another node (or pass) may take the row. */
const CLAIM_MARGIN_MS = 30_000;
const MAX_ERROR_LENGTH = 500;

/** Who is sending: the cluster node id, else the host name (a restarted process takes its predecessor's claims). */
export abstract class WebhookNodeId {
  abstract readonly value: string;
}

/**
 * Sends due deliveries: claim a row atomically, sign with a fresh timestamp, POST with a
 * timeout, record what happened. 2xx delivers; 410 Gone disables the endpoint; anything
 * else (another status, a timeout, a refused connection) schedules the next attempt, until
 * the schedule or the maximum age runs out and the delivery has failed.
 */
@Injectable()
export class WebhookDispatcher {
  private readonly logger = new Logger('Webhooks');
  private running: Promise<number> | null = null;
  private again = false;

  constructor(
    private readonly config: AppConfig,
    private readonly store: WebhookDeliveryStore,
    private readonly sender: WebhookSender,
    private readonly clock: Clock,
    private readonly node: WebhookNodeId,
    private readonly metrics: WebhookMetrics,
  ) {}

  /**
   * Sends what is due now; resolves with the number of attempts made. A call while a pass
   * runs asks for one more pass after it (an event recorded meanwhile is not left for the poll).
   */
  runDue(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.passes().finally(() => (this.running = null));
    return this.running;
  }

  /** Resolves when no pass is running (shutdown waits for the attempt in flight to be recorded). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async passes(): Promise<number> {
    let attempts = 0;
    do {
      this.again = false;
      attempts += await this.pass();
    } while (this.again);
    return attempts;
  }

  private async pass(): Promise<number> {
    const endpoints = new Map(this.config.webhooks.endpoints.map((e) => [e.id, e]));
    const now = this.clock.now();
    const due = await this.store.due(now, BATCH);
    const until = new Date(now.getTime() + this.config.webhooks.timeoutMs + CLAIM_MARGIN_MS);
    const claimed: WebhookDeliveryEntity[] = [];
    for (const row of due) if (await this.store.claim(row, this.node.value, now, until)) claimed.push(row);
    const disabled = await this.store.disabledEndpoints();
    await Promise.all(claimed.map((row) => this.attempt(row, endpoints.get(row.endpoint), disabled.has(row.endpoint))));
    return claimed.length;
  }

  private async attempt(row: WebhookDeliveryEntity, endpoint: WebhookEndpointConfig | undefined, disabled: boolean) {
    const now = this.clock.now();
    if (!endpoint || disabled) {
      const why = endpoint
        ? 'the endpoint is disabled (it answered 410 Gone)'
        : 'the endpoint is no longer in WEBHOOK_URLS';
      return this.record(row, this.settled(row, now, endpoint ? 'disabled' : 'failed', why));
    }
    if (now.getTime() - row.createdAt.getTime() > this.config.webhooks.maxAgeMs)
      return this.record(row, this.settled(row, now, 'failed', 'older than WEBHOOK_MAX_AGE_MS'));
    const headers = signWebhook(this.config.webhooks.secret!, row.messageId, now, row.payload);
    const attempts = row.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = (await this.sender.post(endpoint.url, { ...headers }, row.payload, this.config.webhooks.timeoutMs))
        .status;
    } catch (e) {
      error = describeFailure(e, this.config.webhooks.timeoutMs);
    }
    const at = this.clock.now();
    const outcome = this.outcome(row, attempts, at, status, error);
    this.logOutcome(row, endpoint, outcome);
    if (status === 410) {
      await this.record(row, outcome);
      await this.store.disable(row.endpoint, at, `answered 410 Gone to ${row.messageId}`);
      return;
    }
    await this.record(row, outcome);
  }

  /** Stores an attempt's outcome, then counts it (a row the store refused to update is not counted). */
  private async record(row: WebhookDeliveryEntity, outcome: AttemptOutcome): Promise<void> {
    await this.store.record(row, this.node.value, outcome);
    this.metrics.countOutcome(outcome.status);
  }

  private outcome(
    row: WebhookDeliveryEntity,
    attempts: number,
    at: Date,
    status: number | null,
    error: string | null,
  ): AttemptOutcome {
    const base = { attempts, at, responseStatus: status };
    if (status !== null && status >= 200 && status < 300)
      return { ...base, status: 'delivered', nextAttemptAt: null, lastError: null };
    if (status === 410)
      return {
        ...base,
        status: 'disabled',
        nextAttemptAt: null,
        lastError: 'the endpoint answered 410 Gone: disabled',
      };
    const failure = error ?? `the endpoint answered HTTP ${status}`;
    const policy = { delaysMs: this.config.webhooks.retryDelaysMs, maxAgeMs: this.config.webhooks.maxAgeMs };
    const next = nextAttempt(policy, attempts, row.createdAt, at);
    if (next.retry) return { ...base, status: 'pending', nextAttemptAt: next.at, lastError: failure };
    return { ...base, status: 'failed', nextAttemptAt: null, lastError: `${failure}; ${next.reason}` };
  }

  private settled(row: WebhookDeliveryEntity, at: Date, status: 'failed' | 'disabled', why: string): AttemptOutcome {
    return {
      status,
      attempts: row.attempts,
      at,
      nextAttemptAt: null,
      responseStatus: row.responseStatus,
      lastError: why,
    };
  }

  private logOutcome(row: WebhookDeliveryEntity, endpoint: WebhookEndpointConfig, outcome: AttemptOutcome) {
    const fields = {
      msg: `webhook ${outcome.status}`,
      messageId: row.messageId,
      type: row.type,
      endpoint: endpoint.id,
      position: endpoint.position,
      attempt: outcome.attempts,
      responseStatus: outcome.responseStatus,
      nextAttemptAt: outcome.nextAttemptAt,
      error: outcome.lastError,
    };
    if (outcome.status === 'delivered') this.logger.log(fields);
    else this.logger.warn(fields);
  }
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const detail = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
  return `not sent: ${detail}`.slice(0, MAX_ERROR_LENGTH);
}
