import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Leadership } from '../cluster';
import { AppConfig } from '../config/app-config';
import { CRON_OFF } from '../config/cron.validator';
import { DataSourceSwitch } from '../database/data-source-switch';
import type { BackupType } from './backup.types';
import { BackupService } from './backup.service';
import { InterruptedBackups } from './interrupted-backups';

/** False in the CLI: a one-off command starts no schedule and settles no one else's backup. */
export const RUN_BACKUP_SCHEDULES = Symbol('RUN_BACKUP_SCHEDULES');

/**
 * Cron schedules from configuration (full daily, incremental hourly by default), built at
 * start. A tick that finds a backup running is skipped and logged, so runs never pile up;
 * an incremental tick with no usable chain (or after a refused incremental) takes a full.
 * Interrupted backups are settled by the leader only (always this node in single-node
 * mode): at start when it leads, and whenever it starts leading; in either case once the
 * database is connected. A follower must not: in cluster mode the leader's backup in
 * progress is `running` in the shared catalog, and only its lock (in BACKUP_DIR, which
 * cluster mode requires every node to share) says it is alive.
 */
@Injectable()
export class BackupScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Backup');
  private readonly bootedAt = new Date();

  constructor(
    private readonly config: AppConfig,
    private readonly registry: SchedulerRegistry,
    private readonly backups: BackupService,
    private readonly interrupted: InterruptedBackups,
    @Inject(RUN_BACKUP_SCHEDULES) private readonly runSchedules: boolean,
    private readonly leadership: Leadership,
    private readonly database: DataSourceSwitch,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.runSchedules) return;
    // Rows started before this node led are not its own: a previous leader's, settled once its lock is free.
    this.leadership.onLeadingChange((leading) => {
      if (leading) void this.settleWhenConnected(new Date());
    });
    if (this.leadership.isLeader()) await this.settleWhenConnected(this.bootedAt);
    else this.logger.log({ msg: 'interrupted backups are settled by the leader' });
    const { fullSchedule, incrementalSchedule, timeZone } = this.config.backup;
    for (const [type, schedule] of [
      ['full', fullSchedule],
      ['incremental', incrementalSchedule],
    ] as [BackupType, string][]) {
      if (schedule === CRON_OFF) {
        this.logger.log({ msg: 'backup schedule switched off', type });
        continue;
      }
      const cron = CronJob.from({
        cronTime: schedule,
        timeZone,
        start: true,
        onTick: async () => void (await this.tick(type)),
      });
      this.registry.addCronJob(`backup.${type}`, cron);
      this.logger.log({ msg: 'backup scheduled', type, schedule, timeZone });
    }
  }

  private async settleWhenConnected(before: Date): Promise<void> {
    if (this.database.isOpen) return this.settleInterrupted(before);
    this.logger.log({ msg: 'interrupted backups are settled once the database is connected' });
    void this.database.whenOpen().then(() => this.settleInterrupted(before));
  }

  private async settleInterrupted(before: Date): Promise<void> {
    // Leadership may have moved while the database was away.
    if (!this.leadership.isLeader()) return;
    await this.interrupted
      .settle(before, (id) => id === this.backups.runningId)
      .catch((error: Error) => this.logger.error({ msg: 'could not settle interrupted backups', err: error.message }));
  }

  async onApplicationShutdown(): Promise<void> {
    this.interrupted.stop();
    for (const name of this.registry.getCronJobs().keys()) {
      if (name.startsWith('backup.')) this.registry.deleteCronJob(name);
    }
    await this.backups.abortRunning(new Error('the service is shutting down'));
  }

  /** One scheduled run; public so tests can drive a tick without waiting for the clock. */
  async tick(type: BackupType): Promise<string | null> {
    // Every node keeps the schedule; only the leader takes the backup (cluster mode).
    if (!this.leadership.isLeader()) {
      this.logger.debug({ msg: 'scheduled backup left to the leader', type, leader: this.leadership.leader()?.nodeId });
      return null;
    }
    if (this.backups.runningId) {
      this.logger.warn({
        msg: 'scheduled backup skipped: another backup is still running',
        type,
        runningId: this.backups.runningId,
      });
      return null;
    }
    let chosen = type;
    if (type === 'incremental' && (await this.backups.needsFull())) {
      this.logger.warn({
        msg: 'scheduled incremental taken as a full: no usable chain, or the last incremental was refused',
      });
      chosen = 'full';
    }
    try {
      return (await this.backups.start({ type: chosen, triggeredBy: 'schedule' })).id;
    } catch (error) {
      this.logger.warn({ msg: 'scheduled backup not started', type: chosen, err: (error as Error).message });
      return null;
    }
  }
}
