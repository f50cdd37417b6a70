import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventBus } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import { TransactionRunner } from '../database/transaction-runner';
import { ConfigCache } from './cache/config-cache';
import { LogicConfig } from './config-answer';
import { LogicBakEntity } from './entities/logic-bak.entity';
import { LogicPublishedEntity } from './entities/logic-published.entity';
import { LogicEntity } from './entities/logic.entity';
import { assertLogicId } from './logic-id';

export interface PublishCommand {
  version: string;
  name?: string;
  module?: string;
  config: LogicConfig;
}

export interface PublishResult {
  logicId: string;
  version: string;
  publishedAt: string;
  evictedKeys: string[];
}

/** logic_published.source of a publish made through logic-ha. */
const PUBLISH_SOURCE = 'logic-ha';

/**
 * Publishes a version: `logic` (latest), `logic_bak` (that version; republishing a version
 * replaces it) and `logic_published` (history) change in one transaction; then this
 * logic's cache entries are evicted and `config.published` is emitted.
 */
@Injectable()
export class ConfigPublisher {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly cache: ConfigCache,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  async publish(logicId: string, command: PublishCommand): Promise<PublishResult> {
    assertLogicId(logicId);
    const now = this.clock.now();
    const configJson = JSON.stringify(command.config);
    const fields = { name: command.name ?? null, version: command.version, module: command.module ?? null, configJson };
    await this.transactions.runExclusive(`config\u0000${logicId}`, async (manager) => {
      await manager.upsert(LogicEntity, { id: logicId, ...fields }, ['id']);
      const existing = await manager.findOneBy(LogicBakEntity, { id: logicId, version: command.version });
      if (existing) await manager.update(LogicBakEntity, { aid: existing.aid }, fields);
      else await manager.insert(LogicBakEntity, { aid: randomUUID(), id: logicId, ...fields });
      await manager.insert(LogicPublishedEntity, {
        logicId,
        ...fields,
        publishTime: now,
        source: PUBLISH_SOURCE,
        target: null,
      });
    });
    const evictedKeys = await this.cache.evictLogic(logicId, [command.version]);
    this.events.emit('config.published', { logicId, version: command.version, publishedAt: now });
    return { logicId, version: command.version, publishedAt: now.toISOString(), evictedKeys };
  }
}
