import { SwitchableLeadership } from '../../test/support/failover-fakes';
import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { AppConfig } from '../config/app-config';
import type { DataSourceSwitch } from '../database/data-source-switch';
import { BackupScheduler } from './backup.scheduler';
import type { BackupService, StartRequest } from './backup.service';
import type { InterruptedBackups } from './interrupted-backups';

describe('BackupScheduler', () => {
  let started: StartRequest[];
  let runningId: string | null;
  let needsFull: boolean;
  let registry: SchedulerRegistry;
  let scheduler: BackupScheduler;
  let settled: number;
  const leadership = new SwitchableLeadership();
  let database: { isOpen: boolean; whenOpen(): Promise<void>; open(): void };

  const config = (full: string, incremental: string) =>
    ({
      backup: { fullSchedule: full, incrementalSchedule: incremental, timeZone: 'Europe/Berlin' },
    }) as unknown as AppConfig;

  const build = (appConfig: AppConfig, runSchedules = true) => {
    const backups = {
      get runningId() {
        return runningId;
      },
      needsFull: async () => needsFull,
      start: async (request: StartRequest) => (started.push(request), { id: `${request.type}-id` }),
      abortRunning: async () => undefined,
    } as unknown as BackupService;
    const interrupted = {
      settle: async () => void (settled += 1),
      stop: () => undefined,
    } as unknown as InterruptedBackups;
    return new BackupScheduler(
      appConfig,
      registry,
      backups,
      interrupted,
      runSchedules,
      leadership,
      database as unknown as DataSourceSwitch,
    );
  };

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => {
    started = [];
    runningId = null;
    needsFull = false;
    settled = 0;
    leadership.leading = true;
    database = openDatabase();
    registry = new SchedulerRegistry();
    scheduler = build(config('0 2 * * *', '0 * * * *'));
  });
  afterEach(() => scheduler.onApplicationShutdown());

  it('registers both schedules in their time zone and settles interrupted backups at start', async () => {
    await scheduler.onApplicationBootstrap();
    expect([...registry.getCronJobs().keys()].sort()).toEqual(['backup.full', 'backup.incremental']);
    expect(settled).toBe(1);
  });

  it('settles interrupted backups only once the database is connected when the service started without it', async () => {
    database = closedDatabase();
    scheduler = build(config('0 2 * * *', '0 * * * *'));
    await scheduler.onApplicationBootstrap();
    expect(registry.getCronJobs().size).toBe(2);
    expect(settled).toBe(0);
    database.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(1);
  });

  it('registers nothing switched off, and nothing at all in the CLI', async () => {
    await build(config('off', '0 * * * *')).onApplicationBootstrap();
    expect([...registry.getCronJobs().keys()]).toEqual(['backup.incremental']);
    registry.deleteCronJob('backup.incremental');
    await build(config('0 2 * * *', '0 * * * *'), false).onApplicationBootstrap();
    expect(registry.getCronJobs().size).toBe(0);
  });

  it('leaves a scheduled backup to the leader: a follower takes none (cluster mode)', async () => {
    leadership.leading = false;
    expect(await scheduler.tick('full')).toBeNull();
    expect(started).toEqual([]);
    leadership.leading = true;
    expect(await scheduler.tick('full')).toBe('full-id');
  });

  it('skips a tick while a backup runs, so runs never pile up', async () => {
    runningId = '20261127-020000-000F';
    expect(await scheduler.tick('incremental')).toBeNull();
    expect(started).toEqual([]);
  });

  it('takes a full instead of an incremental when the chain needs one', async () => {
    needsFull = true;
    expect(await scheduler.tick('incremental')).toBe('full-id');
    expect(started).toEqual([{ type: 'full', triggeredBy: 'schedule' }]);
  });

  it('takes the incremental when the chain is usable', async () => {
    expect(await scheduler.tick('incremental')).toBe('incremental-id');
    expect(started).toEqual([{ type: 'incremental', triggeredBy: 'schedule' }]);
  });
});

function openDatabase() {
  return { isOpen: true, whenOpen: async () => undefined, open: () => undefined };
}

function closedDatabase() {
  let opened: () => void = () => undefined;
  const whenOpen = new Promise<void>((resolve) => (opened = resolve));
  const database = {
    isOpen: false,
    whenOpen: () => whenOpen,
    open: () => {
      database.isOpen = true;
      opened();
    },
  };
  return database;
}
