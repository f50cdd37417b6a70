import { parsePrometheusText } from '../../test/support/prometheus-text';
import { FakeClock } from '../../test/support/fake-clock';
import { MetricsRegistry } from '../common/metrics/metrics-registry';
import { BackupMetrics } from './backup.metrics';
import type { BackupService } from './backup.service';
import type { BackupCatalogService, BackupSummaryRow } from './catalog/backup-catalog.service';

const NOW = new Date('2026-11-29T12:00:00Z');

function world(rows: BackupSummaryRow[] | Error) {
  const registry = new MetricsRegistry();
  const catalog = {
    succeededSummaries: jest.fn(async () => {
      if (rows instanceof Error) throw rows;
      return rows;
    }),
  };
  const backups = { runningId: null as string | null };
  const metrics = new BackupMetrics(
    registry,
    catalog as unknown as BackupCatalogService,
    backups as unknown as BackupService,
    new FakeClock(NOW),
  );
  const scrape = async () => parsePrometheusText(await registry.text());
  return { registry, catalog, backups, metrics, scrape };
}

const FULL = {
  id: 'f1',
  type: 'full',
  parentId: null,
  startedAt: new Date(NOW.getTime() - 3_700_000),
  finishedAt: new Date(NOW.getTime() - 3_600_000),
  verifiedAt: new Date(NOW.getTime() - 3_500_000),
  sizeBytes: 4096,
  restoreVerifiedAt: null,
  restoreCheckError: null,
} as BackupSummaryRow;

describe('BackupMetrics', () => {
  it('shows the catalog’s figures, reading it once per scrape', async () => {
    const { scrape, catalog, backups } = world([FULL]);
    backups.runningId = 'i2';
    const metrics = await scrape();
    expect(catalog.succeededSummaries).toHaveBeenCalledTimes(1);
    expect(metrics.value('logic_ha_backup_since_last_completion_seconds', { type: 'full' })).toBe(3600);
    expect(metrics.value('logic_ha_backup_since_last_verified_seconds', { type: 'full' })).toBe(3600);
    expect(metrics.all('logic_ha_backup_since_last_restore_verified_seconds')).toEqual([]);
    expect(metrics.all('logic_ha_backup_since_last_completion_seconds')).toHaveLength(1); // no incremental yet
    expect(metrics.value('logic_ha_backup_last_size_bytes', { type: 'full' })).toBe(4096);
    expect(metrics.value('logic_ha_backup_last_duration_seconds', { type: 'full' })).toBe(100);
    expect(metrics.value('logic_ha_backup_pitr_window_seconds')).toBe(0);
    expect(metrics.value('logic_ha_backup_pitr_window_end_age_seconds')).toBe(3600);
    expect(metrics.value('logic_ha_backup_running')).toBe(1);
  });

  it('counts backup.failed by type, from 0', async () => {
    const { scrape, metrics } = world([]);
    expect((await scrape()).value('logic_ha_backup_failures_total', { type: 'incremental' })).toBe(0);
    metrics.onFailed({ id: 'i1', type: 'incremental', code: 'BACKUP_TIMEOUT', reason: 'too slow' });
    metrics.onFailed({ id: 'i2', type: 'incremental', code: 'BACKUP_TIMEOUT', reason: 'too slow' });
    const after = await scrape();
    expect(after.value('logic_ha_backup_failures_total', { type: 'incremental' })).toBe(2);
    expect(after.value('logic_ha_backup_failures_total', { type: 'full' })).toBe(0);
  });

  it('a catalog that cannot be read empties the backup gauges and is counted; the scrape still answers', async () => {
    const { scrape } = world(new Error('database away'));
    const metrics = await scrape();
    expect(metrics.all('logic_ha_backup_since_last_completion_seconds')).toEqual([]);
    expect(metrics.all('logic_ha_backup_pitr_window_seconds')).toEqual([]);
    // The error counter was serialised before the failed read ended: the next scrape shows it.
    expect((await scrape()).value('logic_ha_metrics_collect_errors_total', { collector: 'backup' })).toBe(1);
  });
});
