import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Leadership } from '../../cluster';
import { DomainError } from '../../common/errors/domain-error';
import { EventBus } from '../../common/events/event-bus';
import { AppConfig } from '../../config/app-config';
import { CRON_OFF } from '../../config/cron.validator';
import { BackupErrorCode } from '../backup.errors';
import { RUN_BACKUP_SCHEDULES } from '../backup.scheduler';
import { testRestoreUnsupportedReason } from './scratch-target';
import { TestRestoreService } from './test-restore.service';

export type TestRestoreTick =
  | { status: 'left-to-leader' | 'skipped' | 'not-started'; reason: string }
  | { status: 'verified' | 'failed'; backupId: string; reason: string | null };

const CRON_NAME = 'backup.test-restore';

/** Refusals that are no fault of the backups: the next tick simply tries again, nobody is alerted. */
const BENIGN_REFUSALS: ReadonlySet<string> = new Set([
  BackupErrorCode.TestRestoreRunning,
  BackupErrorCode.NoFullBackup,
]);

/**
 * BACKUP_TEST_RESTORE_CRON (weekly by default, in BACKUP_TIMEZONE): a test restore of the
 * newest chain. Every node keeps the schedule; only the leader runs it, as with backups.
 */
@Injectable()
export class TestRestoreScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger('TestRestore');

  constructor(
    private readonly config: AppConfig,
    private readonly registry: SchedulerRegistry,
    private readonly testRestores: TestRestoreService,
    @Inject(RUN_BACKUP_SCHEDULES) private readonly runSchedules: boolean,
    private readonly leadership: Leadership,
    private readonly events: EventBus,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.runSchedules) return;
    const { testRestoreSchedule: schedule, timeZone } = this.config.backup;
    if (schedule === CRON_OFF) {
      this.logger.log({ msg: 'test restore schedule switched off' });
      return;
    }
    const cron = CronJob.from({
      cronTime: schedule,
      timeZone,
      start: true,
      onTick: async () => void (await this.tick()),
    });
    this.registry.addCronJob(CRON_NAME, cron);
    this.logger.log({ msg: 'test restore scheduled', schedule, timeZone });
  }

  /** One scheduled run; public so tests can drive it without waiting for the clock. */
  async tick(): Promise<TestRestoreTick> {
    if (!this.leadership.isLeader()) {
      this.logger.debug({ msg: 'scheduled test restore left to the leader' });
      return { status: 'left-to-leader', reason: 'this node does not lead' };
    }
    const unsupported = testRestoreUnsupportedReason(this.config);
    if (unsupported) {
      this.logger.warn({ msg: 'scheduled test restore skipped', reason: unsupported });
      return { status: 'skipped', reason: unsupported };
    }
    try {
      const report = await this.testRestores.run(null);
      return { status: report.ok ? 'verified' : 'failed', backupId: report.backupId, reason: report.error };
    } catch (error) {
      const reason = (error as Error).message;
      if (error instanceof DomainError && BENIGN_REFUSALS.has(error.code)) {
        // Nothing to restore yet, or one already running: said and left for the next tick.
        this.logger.warn({ msg: 'scheduled test restore not started', err: reason });
        return { status: 'not-started', reason };
      }
      // Unreadable storage or manifest, a refused or unreachable scratch target, a chain without
      // fingerprints: no run would ever prove a backup restorable, so this alerts like a failed one.
      this.logger.error({ msg: 'scheduled test restore could not start', err: reason });
      this.events.emit('backup.test-restore-failed', {
        id: null,
        reason: `the test restore could not start: ${reason}`,
        tables: [],
      });
      return { status: 'not-started', reason };
    }
  }
}
