import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventBus } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import { TransactionRunner } from '../database/transaction-runner';
import { LogicInstanceEntity } from './entities/logic-instance.entity';
import { newestOfPair } from './instance-criteria';
import { instanceNotFound } from './instance.errors';

/** varchar(255): `message` is cut to fit rather than failing a runtime's stop call. */
export const MESSAGE_MAX_LENGTH = 255;

export interface StartInstance {
  logicId: string;
  bizId: string;
  version?: string;
  paramsJson?: string;
  parentLogicId?: string;
  parentBizId?: string;
  env?: string;
}

export interface StopInstance {
  logicId: string;
  bizId: string;
  success: boolean;
  isOver: boolean;
  returnData?: string;
  message?: string;
  nextId?: string;
  nextName?: string;
  varsJsonEnd?: string;
}

/** The lock key of one (logicId, bizId) pair; NUL cannot occur in either id. */
function pairKey(ids: { logicId: string; bizId: string }): string {
  return `instance\u0000${ids.logicId}\u0000${ids.bizId}`;
}

/** Cuts by code points so a multi-byte character is never split in half. */
export function truncateMessage(message: string | undefined): string | null {
  if (message === undefined) return null;
  const characters = Array.from(message);
  return characters.length <= MESSAGE_MAX_LENGTH ? message : characters.slice(0, MESSAGE_MAX_LENGTH).join('');
}

/**
 * What runtimes call around a run: start marks the instance running (creating it when the
 * pair has none), stop records the outcome. Events are emitted after the write commits.
 */
@Injectable()
export class InstanceLifecycleService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
    private readonly events: EventBus,
  ) {}

  async start(command: StartInstance): Promise<LogicInstanceEntity> {
    const now = this.clock.now();
    // Exclusive per pair: two concurrent starts of a new pair never both insert.
    const instance = await this.transactions.runExclusive(pairKey(command), async (manager) => {
      const existing = await this.newest(manager, command.logicId, command.bizId);
      const fields = {
        version: command.version ?? existing?.version ?? null,
        paramsJson: command.paramsJson ?? null,
        parentLogicId: command.parentLogicId ?? existing?.parentLogicId ?? null,
        parentBizId: command.parentBizId ?? existing?.parentBizId ?? null,
        env: command.env ?? existing?.env ?? null,
        isRunning: true,
        startTime: now,
        stopTime: null,
        duration: null,
        serverTime: now,
      };
      if (existing) {
        await manager.update(LogicInstanceEntity, { id: existing.id }, fields);
        // Under the pair's lock nothing else changed the row: no need to read it back.
        return Object.assign(existing, fields);
      }
      const created = manager.create(LogicInstanceEntity, {
        id: randomUUID(),
        logicId: command.logicId,
        bizId: command.bizId,
        ...fields,
        isOver: false,
        isAsync: false,
        retryTimes: 0,
        createTime: now,
      });
      // Every column is set here; updateEntity(false) spares the SELECT TypeORM would send to read defaults back.
      await manager
        .createQueryBuilder()
        .insert()
        .into(LogicInstanceEntity)
        .values(created)
        .updateEntity(false)
        .execute();
      return created;
    });
    this.events.emit('instance.before-run', {
      logicId: command.logicId,
      bizId: command.bizId,
      instanceId: instance.id,
      params: command.paramsJson ?? null,
    });
    return instance;
  }

  async stop(command: StopInstance): Promise<LogicInstanceEntity> {
    const now = this.clock.now();
    const instance = await this.transactions.runExclusive(pairKey(command), async (manager) => {
      const existing = await this.newest(manager, command.logicId, command.bizId);
      if (!existing) throw instanceNotFound(command.logicId, command.bizId);
      const fields: Partial<LogicInstanceEntity> = {
        stopTime: now,
        duration: existing.startTime ? Math.max(0, now.getTime() - existing.startTime.getTime()) : null,
        success: command.success,
        isOver: command.isOver,
        isRunning: false,
        message: truncateMessage(command.message),
        returnData: command.returnData ?? null,
        serverTime: now,
      };
      if (command.nextId !== undefined) fields.nextId = command.nextId;
      if (command.nextName !== undefined) fields.nextName = command.nextName;
      if (command.varsJsonEnd !== undefined) fields.varsJsonEnd = command.varsJsonEnd;
      await manager.update(LogicInstanceEntity, { id: existing.id }, fields);
      return Object.assign(existing, fields);
    });
    const ref = { logicId: command.logicId, bizId: command.bizId, instanceId: instance.id };
    this.events.emit('instance.after-stop', {
      ...ref,
      returnData: instance.returnData,
      success: command.success,
      isOver: command.isOver,
    });
    if (command.isOver) this.events.emit('instance.biz-completed', { ...ref, returnData: instance.returnData });
    return instance;
  }

  private newest(manager: EntityManager, logicId: string, bizId: string) {
    return newestOfPair(manager.createQueryBuilder(LogicInstanceEntity, 'i'), logicId, bizId).getOne();
  }
}
