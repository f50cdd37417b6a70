import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { type BackupFailedEvent } from '../common/events/app-events';
import { OnAppEvent } from '../common/events/event-bus';
import { MetricsRegistry, type Sample } from '../common/metrics/metrics-registry';
import { perScrape } from '../common/metrics/scrape-snapshot';
import { Clock } from '../common/time/clock';
import { type BackupFigures, type BackupTypeFigures, backupFigures } from './backup-metrics.snapshot';
import { BackupService } from './backup.service';
import { BACKUP_TYPES } from './backup.types';
import { BackupCatalogService } from './catalog/backup-catalog.service';

/**
 * The backup metrics, named after pgbackrest_exporter's (`backup_since_last_completion_seconds`
 * is the alert everyone sets). Ages, sizes and the PITR window are read from the catalog at
 * scrape time (one query per scrape, shared by every gauge); failures are counted as they
 * are announced.
 */
@Injectable()
export class BackupMetrics {
  private readonly failures: Counter<'type'>;

  constructor(metrics: MetricsRegistry, catalog: BackupCatalogService, backups: BackupService, clock: Clock) {
    const figures = perScrape(async (): Promise<BackupFigures | undefined> => {
      try {
        return backupFigures(await catalog.succeededSummaries(), clock.now());
      } catch (error) {
        metrics.collectFailed('backup', error);
        return undefined;
      }
    });
    const byType = (pick: (f: BackupTypeFigures) => number | undefined) => async (): Promise<Sample<'type'>[]> => {
      const current = await figures();
      return BACKUP_TYPES.flatMap((type) => {
        const value = current?.byType[type] && pick(current.byType[type]);
        return value === undefined ? [] : [{ labels: { type }, value }];
      });
    };
    const gauge = (name: string, help: string, pick: (f: BackupTypeFigures) => number | undefined) =>
      metrics.sampledGauge({ name, help, labelNames: ['type'], read: byType(pick) });
    gauge(
      'logic_ha_backup_since_last_completion_seconds',
      'Age of the newest successful backup of each type (since it finished)',
      (f) => f.sinceLastCompletionSeconds,
    );
    gauge(
      'logic_ha_backup_since_last_verified_seconds',
      'Age of the newest backup of each type whose files were verified',
      (f) => f.sinceLastVerifiedSeconds,
    );
    gauge(
      'logic_ha_backup_since_last_restore_verified_seconds',
      'Age of the newest backup of each type whose last test restore matched every table',
      (f) => f.sinceLastRestoreVerifiedSeconds,
    );
    gauge(
      'logic_ha_backup_last_size_bytes',
      'Stored size of the newest successful backup of each type',
      (f) => f.lastSizeBytes,
    );
    gauge(
      'logic_ha_backup_last_duration_seconds',
      'How long the newest successful backup of each type took',
      (f) => f.lastDurationSeconds,
    );
    const pitr = (pick: (w: NonNullable<BackupFigures['pitr']>) => number) => async () => {
      const window = (await figures())?.pitr;
      return window ? [{ value: pick(window) }] : [];
    };
    metrics.sampledGauge({
      name: 'logic_ha_backup_pitr_window_seconds',
      help: 'Point-in-time restore window: from the newest whole chain’s full backup to its newest backup (no sample: no whole chain)',
      read: pitr((w) => w.seconds),
    });
    metrics.sampledGauge({
      name: 'logic_ha_backup_pitr_window_end_age_seconds',
      help: 'Age of the newest point a point-in-time restore reaches (the end of the newest whole chain)',
      read: pitr((w) => w.endAgeSeconds),
    });
    metrics.sampledGauge({
      name: 'logic_ha_backup_running',
      help: '1 while a backup runs in this process',
      read: () => [{ value: backups.runningId ? 1 : 0 }],
    });
    this.failures = metrics.counter({
      name: 'logic_ha_backup_failures_total',
      help: 'Backups that failed, by type',
      labelNames: ['type'],
    });
    for (const type of BACKUP_TYPES) this.failures.inc({ type }, 0);
  }

  @OnAppEvent('backup.failed')
  onFailed(event: BackupFailedEvent): void {
    this.failures.inc({ type: event.type });
  }
}
