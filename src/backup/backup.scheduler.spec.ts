import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Leadership, type LeaderView } from '../cluster';
import type { AppConfig } from '../config/app-config';
import type { DataSourceSwitch } from '../database/data-source-switch';
import { BackupScheduler } from './backup.scheduler';
import type { BackupService, StartRequest } from './backup.service';
import type { InterruptedBackups } from './interrupted-backups';

/** A leadership the test hands over and takes back, telling listeners as EtcdLeadership does. */
class ChangingLeadership extends Leadership {
  readonly mode = 'etcd' as const;
  readonly nodeId = 'node-a';
  leading = true;
  private readonly listeners: ((leading: boolean) => void)[] = [];

  isLeader(): boolean {
    return this.leading;
  }

  leader(): LeaderView | null {
    return this.leading ? { nodeId: this.nodeId, address: 'http://127.0.0.1:1', since: '' } : null;
  }

  onLeadingChange(listener: (leading: boolean) => void): void {
    this.listeners.push(listener);
  }

  change(leading: boolean): void {
    this.leading = leading;
    for (const listener of this.listeners) listener(leading);
  }
}

describe('BackupScheduler', () => {
  let started: StartRequest[];
  let runningId: string | null;
  let needsFull: boolean;
  let registry: SchedulerRegistry;
  let scheduler: BackupScheduler;
  let settled: number;
  /** The `before` of each settle: rows started from then on are left alone. */
  let settledBefore: Date[];
  let leadership: ChangingLeadership;
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
      settle: async (before: Date) => void ((settled += 1), settledBefore.push(before)),
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
    settledBefore = [];
    leadership = new ChangingLeadership();
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

  it('settles nothing at start on a follower (cluster mode): the running backup may be the leader’s', async () => {
    leadership.leading = false;
    await scheduler.onApplicationBootstrap();
    expect(registry.getCronJobs().size).toBe(2);
    expect(settled).toBe(0);
  });

  it('settles when this node starts leading, leaving rows started from then on alone', async () => {
    leadership.leading = false;
    await scheduler.onApplicationBootstrap();
    const before = new Date();
    leadership.change(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(1);
    expect(settledBefore[0].getTime()).toBeGreaterThanOrEqual(before.getTime());
    // Stepping down settles nothing; leading again settles again.
    leadership.change(false);
    leadership.change(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(2);
  });

  it('a node that starts leading without its database settles once it is connected, if it still leads', async () => {
    database = closedDatabase();
    leadership.leading = false;
    scheduler = build(config('0 2 * * *', '0 * * * *'));
    await scheduler.onApplicationBootstrap();
    leadership.change(true);
    leadership.change(false);
    database.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(0);
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
