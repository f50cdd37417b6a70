import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, In, type Repository } from 'typeorm';
import { type DeliveryStatus, WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';

/** What one attempt leaves on its row. */
export interface AttemptOutcome {
  status: DeliveryStatus;
  attempts: number;
  at: Date;
  nextAttemptAt: Date | null;
  responseStatus: number | null;
  lastError: string | null;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  endpoint?: string;
  limit: number;
}

/** The delivery rows and disabled endpoints in the app database: every query the feature runs. */
@Injectable()
export class WebhookDeliveryStore {
  constructor(
    @InjectRepository(WebhookDeliveryEntity) private readonly deliveries: Repository<WebhookDeliveryEntity>,
    @InjectRepository(WebhookEndpointEntity) private readonly endpoints: Repository<WebhookEndpointEntity>,
  ) {}

  /** Inserts; a row whose (messageId, endpoint) exists is left as it is: the same occurrence is delivered once. */
  async insert(rows: WebhookDeliveryEntity[]): Promise<void> {
    if (rows.length === 0) return;
    await this.deliveries.createQueryBuilder().insert().values(rows).orIgnore().execute();
  }

  /** Pending rows due by `now` that no live claim holds, oldest due first. */
  due(now: Date, limit: number): Promise<WebhookDeliveryEntity[]> {
    return this.deliveries
      .createQueryBuilder('d')
      .where('d.status = :pending', { pending: 'pending' })
      .andWhere('d.nextAttemptAt <= :now', { now })
      .andWhere(new Brackets((q) => q.where('d.claimedUntil IS NULL').orWhere('d.claimedUntil < :now', { now })))
      .orderBy('d.nextAttemptAt', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * One conditional UPDATE: true only for the node whose UPDATE changed the row, so two nodes
   * (or two passes) never send the same attempt. A claim expires at `until`, so a node that
   * died while sending does not hold the row for ever.
   */
  async claim(row: WebhookDeliveryEntity, node: string, now: Date, until: Date): Promise<boolean> {
    const result = await this.deliveries
      .createQueryBuilder()
      .update()
      .set({ claimedBy: node, claimedUntil: until })
      .where('messageId = :messageId AND endpoint = :endpoint', row)
      .andWhere('status = :pending', { pending: 'pending' })
      .andWhere('attempts = :attempts', { attempts: row.attempts })
      .andWhere(new Brackets((q) => q.where('claimedUntil IS NULL').orWhere('claimedUntil < :now', { now })))
      .execute();
    return (result.affected ?? 0) === 1;
  }

  /** Records an attempt and drops the claim; only the claim's holder writes. */
  async record(row: WebhookDeliveryEntity, node: string, outcome: AttemptOutcome): Promise<void> {
    await this.deliveries
      .createQueryBuilder()
      .update()
      .set({
        status: outcome.status,
        attempts: outcome.attempts,
        lastAttemptAt: outcome.at,
        nextAttemptAt: outcome.nextAttemptAt,
        deliveredAt: outcome.status === 'delivered' ? outcome.at : null,
        responseStatus: outcome.responseStatus,
        lastError: outcome.lastError,
        claimedBy: null,
        claimedUntil: null,
      })
      .where('messageId = :messageId AND endpoint = :endpoint', row)
      .andWhere('claimedBy = :node', { node })
      .execute();
  }

  /** A restarted node's claims are its dead predecessor's: free them now rather than at their expiry. */
  async releaseClaims(node: string): Promise<void> {
    await this.deliveries
      .createQueryBuilder()
      .update()
      .set({ claimedBy: null, claimedUntil: null })
      .where('claimedBy = :node AND status = :pending', { node, pending: 'pending' })
      .execute();
  }

  /** Pending rows for endpoints no longer in WEBHOOK_URLS will never be sent: say so instead of keeping them pending. */
  async failUnconfigured(configured: string[], reason: string): Promise<number> {
    const query = this.deliveries
      .createQueryBuilder()
      .update()
      .set({ status: 'failed', nextAttemptAt: null, lastError: reason, claimedBy: null, claimedUntil: null })
      .where('status = :pending', { pending: 'pending' });
    if (configured.length > 0) query.andWhere('endpoint NOT IN (:...configured)', { configured });
    return (await query.execute()).affected ?? 0;
  }

  async disabledEndpoints(): Promise<Map<string, WebhookEndpointEntity>> {
    return new Map((await this.endpoints.find()).map((e) => [e.endpoint, e]));
  }

  /** 410 Gone: the endpoint gets nothing more, including what is already pending for it. */
  async disable(endpoint: string, at: Date, reason: string): Promise<void> {
    await this.endpoints
      .createQueryBuilder()
      .insert()
      .values({ endpoint, disabledAt: at, disabledReason: reason })
      .orIgnore()
      .execute();
    await this.deliveries
      .createQueryBuilder()
      .update()
      .set({ status: 'disabled', nextAttemptAt: null, lastError: reason })
      .where('endpoint = :endpoint AND status = :pending', { endpoint, pending: 'pending' })
      .execute();
  }

  /** True when the endpoint was disabled. Deliveries it missed stay `disabled`: they are not resent. */
  async enable(endpoint: string): Promise<boolean> {
    return ((await this.endpoints.delete({ endpoint })).affected ?? 0) > 0;
  }

  /** Newest first. */
  list(filter: DeliveryFilter): Promise<WebhookDeliveryEntity[]> {
    return this.deliveries.find({
      where: {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.endpoint ? { endpoint: filter.endpoint } : {}),
      },
      order: { createdAt: 'DESC', messageId: 'ASC' },
      take: filter.limit,
    });
  }

  async pendingCounts(endpoints: string[]): Promise<Map<string, number>> {
    if (endpoints.length === 0) return new Map();
    const rows = await this.deliveries
      .createQueryBuilder('d')
      .select('d.endpoint', 'endpoint')
      .addSelect('COUNT(*)', 'count')
      .where({ status: 'pending', endpoint: In(endpoints) })
      .groupBy('d.endpoint')
      .getRawMany<{ endpoint: string; count: string | number }>();
    return new Map(rows.map((r) => [r.endpoint, Number(r.count)]));
  }

  /** How many delivery rows are in each status (the metrics read it at scrape time). */
  async countsByStatus(): Promise<Map<DeliveryStatus, number>> {
    const rows = await this.deliveries
      .createQueryBuilder('d')
      .select('d.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .groupBy('d.status')
      .getRawMany<{ status: DeliveryStatus; count: string | number }>();
    return new Map(rows.map((r) => [r.status, Number(r.count)]));
  }

  disabledEndpointCount(): Promise<number> {
    return this.endpoints.count();
  }
}
