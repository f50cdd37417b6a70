import { Injectable } from '@nestjs/common';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { AppConfig, type WebhookEndpointConfig } from '../config/app-config';
import { type DeliveryFilter, WebhookDeliveryStore } from './webhook-delivery.store';
import type { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookErrorCode } from './webhooks.errors';

export interface EndpointView {
  id: string;
  position: number;
  /** Scheme, host and port only: the rest of a receiver's URL may be its token. */
  url: string;
  enabled: boolean;
  disabledAt: Date | null;
  disabledReason: string | null;
  pending: number;
}

/** What `GET /api/v1/webhooks/deliveries` answers, and the admin's way to enable an endpoint again. */
@Injectable()
export class WebhookDeliveryLog {
  constructor(
    private readonly config: AppConfig,
    private readonly store: WebhookDeliveryStore,
  ) {}

  async list(filter: DeliveryFilter) {
    const [endpoints, rows] = await Promise.all([this.endpoints(), this.store.list(filter)]);
    return { endpoints, items: rows.map(deliveryView) };
  }

  async endpoints(): Promise<EndpointView[]> {
    const configured = this.config.webhooks.endpoints;
    const [disabled, pending] = await Promise.all([
      this.store.disabledEndpoints(),
      this.store.pendingCounts(configured.map((e) => e.id)),
    ]);
    return configured.map((endpoint) => {
      const off = disabled.get(endpoint.id);
      return {
        id: endpoint.id,
        position: endpoint.position,
        url: shownUrl(endpoint),
        enabled: !off,
        disabledAt: off?.disabledAt ?? null,
        disabledReason: off?.disabledReason ?? null,
        pending: pending.get(endpoint.id) ?? 0,
      };
    });
  }

  /** Enables an endpoint a 410 disabled; deliveries it missed are not resent. */
  async enable(id: string): Promise<EndpointView> {
    if (!this.config.webhooks.endpoints.some((e) => e.id === id))
      throw new DomainError(
        WebhookErrorCode.UnknownEndpoint,
        ErrorKind.NotFound,
        `No endpoint ${id} in WEBHOOK_URLS (the delivery log lists their ids)`,
      );
    await this.store.enable(id);
    return (await this.endpoints()).find((e) => e.id === id)!;
  }
}

function shownUrl(endpoint: WebhookEndpointConfig): string {
  const url = new URL(endpoint.url);
  const rest = url.pathname !== '/' || url.search ? '/…' : '';
  return `${url.protocol}//${url.host}${rest}`;
}

function deliveryView(row: WebhookDeliveryEntity) {
  return {
    messageId: row.messageId,
    endpoint: row.endpoint,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    createdAt: row.createdAt,
    lastAttemptAt: row.lastAttemptAt,
    nextAttemptAt: row.nextAttemptAt,
    deliveredAt: row.deliveredAt,
    responseStatus: row.responseStatus,
    lastError: row.lastError,
    payload: JSON.parse(row.payload) as unknown,
  };
}
