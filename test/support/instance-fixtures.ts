import { DataSource } from 'typeorm';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { DatabaseConfig } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/data-source-options.factory';
import { TransactionRunner } from '../../src/database/transaction-runner';
import { EventBus } from '../../src/common/events/event-bus';
import { type AppEventMap, type AppEventName } from '../../src/common/events/app-events';
import { LogicInstanceEntity } from '../../src/instances/entities/logic-instance.entity';
import { InstanceLifecycleService } from '../../src/instances/instance-lifecycle.service';
import { InstanceService } from '../../src/instances/instance.service';
import { FakeClock } from './fake-clock';
import { RecordingLogger } from './recording-logger';
import { ENTITIES } from '../../src/entities';

export const NOW = new Date('2026-06-01T12:00:00.000Z');
const S = 1000;
const H = 3600 * S;
const D = 24 * H;
export const ago = (ms: number) => new Date(NOW.getTime() - ms);
export const TIME = { S, H, D };

type Row = Partial<LogicInstanceEntity> & { id: string };

/**
 * The hand-made data set the instance tests compute their expectations from (times
 * relative to NOW, whole seconds so MySQL's `datetime` keeps them exactly).
 */
export const ROWS: Row[] = [
  {
    id: 'a1',
    logicId: 'L1',
    bizId: 'B1',
    isOver: false,
    isRunning: true,
    success: null,
    retryTimes: 0,
    createTime: ago(10 * D),
    startTime: ago(2 * H),
    serverTime: ago(2 * H),
  },
  {
    id: 'a2',
    logicId: 'L1',
    bizId: 'B2',
    isOver: false,
    isRunning: false,
    success: false,
    retryTimes: 1,
    createTime: ago(5 * D),
    startTime: ago(5 * D),
    serverTime: ago(5 * D),
  },
  {
    id: 'a3',
    logicId: 'L2',
    bizId: 'B3',
    isOver: false,
    isRunning: false,
    success: true,
    retryTimes: 3,
    createTime: ago(3 * D),
    startTime: ago(3 * D),
    serverTime: ago(3 * D),
  },
  {
    id: 'a4',
    logicId: 'L2',
    bizId: 'B4',
    isOver: false,
    isRunning: true,
    success: null,
    retryTimes: 5,
    createTime: ago(1 * D),
    startTime: ago(30 * S),
    serverTime: ago(30 * S),
  },
  {
    id: 'a5',
    logicId: 'L3',
    bizId: 'B5',
    isOver: true,
    isRunning: false,
    success: true,
    retryTimes: 0,
    createTime: ago(20 * D),
    startTime: ago(20 * D),
    serverTime: ago(20 * D),
  },
  {
    id: 'a6',
    logicId: 'L3',
    bizId: 'B6',
    isOver: false,
    isRunning: false,
    success: false,
    retryTimes: 2,
    createTime: ago(1 * H),
    startTime: ago(1 * H),
    serverTime: ago(1 * H),
  },
  {
    id: 'a7',
    logicId: 'L1',
    bizId: 'B1',
    isOver: true,
    isRunning: false,
    success: true,
    retryTimes: 0,
    createTime: ago(30 * D),
    startTime: ago(30 * D),
    serverTime: ago(3 * H),
  },
  {
    id: 'a8',
    logicId: 'L4',
    bizId: 'B8',
    isOver: true,
    isRunning: false,
    success: true,
    retryTimes: 0,
    createTime: ago(2 * D),
    startTime: ago(2 * D),
    serverTime: ago(2 * D),
  },
];

export interface InstanceWorld {
  dataSource: DataSource;
  clock: FakeClock;
  logger: RecordingLogger;
  events: { name: AppEventName; payload: AppEventMap[AppEventName] }[];
  emitter: EventEmitter2;
  bus: EventBus;
  instances: InstanceService;
  lifecycle: InstanceLifecycleService;
  reset(rows?: Row[]): Promise<void>;
  close(): Promise<void>;
}

/** Services built by hand over a migrated database, with a fake clock and recorded events and SQL. */
export async function openInstanceWorld(database: DatabaseConfig): Promise<InstanceWorld> {
  const logger = new RecordingLogger();
  const dataSource = new DataSource({
    ...buildDataSourceOptions({ database, runMigrationsOnInit: true, entities: ENTITIES }),
    logging: ['query'],
    logger,
  });
  await dataSource.initialize();
  const clock = new FakeClock(NOW);
  const emitter = new EventEmitter2();
  const events: InstanceWorld['events'] = [];
  for (const name of [
    'instance.before-run',
    'instance.after-stop',
    'instance.biz-completed',
    'instance.long-running',
    'instance.retry-due',
  ] as AppEventName[]) {
    emitter.on(name, (payload) => events.push({ name, payload }));
  }
  const bus = new EventBus(emitter);
  const repository = dataSource.getRepository(LogicInstanceEntity);
  const world: InstanceWorld = {
    dataSource,
    clock,
    logger,
    events,
    emitter,
    bus,
    instances: new InstanceService(repository, clock),
    lifecycle: new InstanceLifecycleService(new TransactionRunner(dataSource), clock, bus),
    reset: async (rows = ROWS) => {
      await repository.clear();
      for (let i = 0; i < rows.length; i += 500) await repository.insert(rows.slice(i, i + 500));
      events.length = 0;
      logger.clear();
      clock.set(NOW);
    },
    close: () => dataSource.destroy(),
  };
  return world;
}
