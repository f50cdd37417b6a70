import { createHmac } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MetricsRegistry } from '../../src/common/metrics/metrics-registry';
import type { AppConfig, DatabaseConfig, WebhooksConfig } from '../../src/config/app-config';
import { endpointId } from '../../src/config/webhooks.config';
import { buildDataSourceOptions } from '../../src/database/data-source-options.factory';
import { ENTITIES } from '../../src/entities';
import { WebhookDeliveryLog } from '../../src/webhooks/webhook-delivery-log.service';
import { WebhookDeliveryStore } from '../../src/webhooks/webhook-delivery.store';
import { WebhookDeliveryEntity } from '../../src/webhooks/webhook-delivery.entity';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher';
import { WebhookEndpointEntity } from '../../src/webhooks/webhook-endpoint.entity';
import { WebhookOutbox } from '../../src/webhooks/webhook-outbox.service';
import { WebhookSender, type WebhookResponse } from '../../src/webhooks/webhook-ports';
import { WebhookMetrics } from '../../src/webhooks/webhook.metrics';
import { FakeClock } from './fake-clock';

export const WEBHOOK_SECRET_BYTES = Buffer.alloc(32, 0x5a);
export const URL_A = 'https://a.example/hooks?token=a-secret';
export const URL_B = 'https://b.example/hooks';

/** What a scripted receiver does for one request: answer with a status, or never answer / refuse. */
export type Answer = number | 'timeout' | 'refused';

export interface SentRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  at: Date;
}

/** Answers from a script per URL (the last answer repeats), and records every request. */
export class ScriptedSender extends WebhookSender {
  readonly requests: SentRequest[] = [];
  private readonly scripts = new Map<string, Answer[]>();

  constructor(private readonly clock: FakeClock) {
    super();
  }

  script(url: string, ...answers: Answer[]): void {
    this.scripts.set(url, answers);
  }

  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<WebhookResponse> {
    this.requests.push({ url, headers, body, at: this.clock.now() });
    const script = this.scripts.get(url) ?? [200];
    const answer = script.length > 1 ? script.shift()! : script[0];
    if (answer === 'timeout') {
      this.clock.advance(timeoutMs);
      return Promise.reject(
        Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }),
      );
    }
    if (answer === 'refused')
      return Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
    return Promise.resolve({ status: answer });
  }

  to(url: string): SentRequest[] {
    return this.requests.filter((r) => r.url === url);
  }
}

/** An independent Standard Webhooks check: HMAC-SHA256 of `id.timestamp.body`, compared with each `v1,` signature. */
export function signatureValid(request: SentRequest, secret = WEBHOOK_SECRET_BYTES): boolean {
  const { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures } = request.headers;
  const expected = createHmac('sha256', secret).update(`${id}.${timestamp}.${request.body}`).digest('base64');
  return signatures.split(' ').some((s) => s === `v1,${expected}`);
}

export interface WebhookWorld {
  dataSource: DataSource;
  clock: FakeClock;
  sender: ScriptedSender;
  config: WebhooksConfig;
  store: WebhookDeliveryStore;
  outbox: WebhookOutbox;
  log: WebhookDeliveryLog;
  /** The registry the dispatchers count their attempts' outcomes in. */
  metrics: MetricsRegistry;
  /** A dispatcher sending as `node` (default node-a). */
  dispatcher(node?: string): WebhookDispatcher;
  rows(): Promise<WebhookDeliveryEntity[]>;
  close(): Promise<void>;
}

/** The webhooks feature built by hand over a migrated database, with a fake clock and a scripted receiver. */
export async function openWebhookWorld(
  database: DatabaseConfig,
  overrides: Partial<WebhooksConfig> = {},
): Promise<WebhookWorld> {
  const dataSource = new DataSource(
    buildDataSourceOptions({ database, runMigrationsOnInit: true, entities: ENTITIES }),
  );
  await dataSource.initialize();
  const clock = new FakeClock(new Date('2026-06-01T12:00:00.000Z'));
  const sender = new ScriptedSender(clock);
  const config: WebhooksConfig = {
    endpoints: [URL_A, URL_B].map((url, i) => ({ id: endpointId(url), url, position: i + 1 })),
    secret: WEBHOOK_SECRET_BYTES,
    timeoutMs: 1000,
    retryDelaysMs: [5000, 300_000],
    maxAgeMs: 3_600_000,
    pollIntervalMs: 1000,
    ...overrides,
  };
  const appConfig = { webhooks: config } as AppConfig;
  const store = new WebhookDeliveryStore(
    dataSource.getRepository(WebhookDeliveryEntity),
    dataSource.getRepository(WebhookEndpointEntity),
  );
  const metrics = new MetricsRegistry();
  const webhookMetrics = new WebhookMetrics(metrics, store);
  return {
    dataSource,
    clock,
    sender,
    config,
    store,
    outbox: new WebhookOutbox(appConfig, store, clock),
    log: new WebhookDeliveryLog(appConfig, store),
    metrics,
    dispatcher: (node = 'node-a') =>
      new WebhookDispatcher(appConfig, store, sender, clock, { value: node }, webhookMetrics),
    rows: () => dataSource.getRepository(WebhookDeliveryEntity).find({ order: { createdAt: 'ASC', endpoint: 'ASC' } }),
    close: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}
