import { backupFigures, pitrWindow } from './backup-metrics.snapshot';
import type { BackupSummaryRow } from './catalog/backup-catalog.service';

const NOW = new Date('2026-11-29T12:00:00Z');
const at = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * 3600_000);

/** A succeeded backup that finished `hoursAgo` and took a minute. */
function row(id: string, type: 'full' | 'incremental', hoursAgo: number, more: Partial<BackupSummaryRow> = {}) {
  return {
    id,
    type,
    parentId: null,
    startedAt: new Date(at(hoursAgo).getTime() - 60_000),
    finishedAt: at(hoursAgo),
    verifiedAt: null,
    sizeBytes: 1000,
    restoreVerifiedAt: null,
    restoreCheckError: null,
    ...more,
  } as BackupSummaryRow;
}

/** Newest first, as the catalog returns them. */
const CHAIN = [
  row('i3', 'incremental', 1, { parentId: 'i2', sizeBytes: 30 }),
  row('i2', 'incremental', 2, { parentId: 'i1', verifiedAt: at(1.5) }),
  row('i1', 'incremental', 3, { parentId: 'f1', restoreVerifiedAt: at(2), verifiedAt: at(2) }),
  row('f1', 'full', 10, { verifiedAt: at(9), sizeBytes: 5000 }),
  row('f0', 'full', 34, { restoreVerifiedAt: at(30) }),
];

describe('backupFigures', () => {
  it('ages per type: newest succeeded, newest verified, newest restore-verified; size and duration of the newest', () => {
    expect(backupFigures(CHAIN, NOW).byType).toEqual({
      incremental: {
        sinceLastCompletionSeconds: 3600,
        sinceLastVerifiedSeconds: 2 * 3600,
        sinceLastRestoreVerifiedSeconds: 3 * 3600,
        lastSizeBytes: 30,
        lastDurationSeconds: 60,
      },
      full: {
        sinceLastCompletionSeconds: 10 * 3600,
        sinceLastVerifiedSeconds: 10 * 3600,
        sinceLastRestoreVerifiedSeconds: 34 * 3600,
        lastSizeBytes: 5000,
        lastDurationSeconds: 60,
      },
    });
  });

  it('a backup whose newest test restore failed is not restore-verified', () => {
    const failed = [row('f2', 'full', 1, { restoreVerifiedAt: at(0.5), restoreCheckError: 'table t differs' })];
    expect(backupFigures(failed, NOW).byType.full?.sinceLastRestoreVerifiedSeconds).toBeUndefined();
  });

  it('no backups: no figures at all', () => {
    expect(backupFigures([], NOW)).toEqual({ byType: {}, pitr: undefined });
  });
});

describe('pitrWindow', () => {
  it('spans the newest whole chain: from its full’s end to its newest backup’s end', () => {
    expect(pitrWindow(CHAIN, NOW)).toMatchObject({ seconds: 9 * 3600, endAgeSeconds: 3600 });
  });

  it('is empty, not absent, right after a full backup', () => {
    const window = pitrWindow([row('f2', 'full', 0.5), ...CHAIN], NOW);
    expect(window).toMatchObject({ seconds: 0, endAgeSeconds: 1800 });
    expect(window!.from).toEqual(window!.to);
    expect(window!.to).toEqual(new Date(NOW.getTime() - 1800_000));
  });

  it('a broken link (the parent failed or expired: not among the succeeded) falls back to the newest whole chain', () => {
    const broken = [row('i9', 'incremental', 0.5, { parentId: 'i8-failed' }), ...CHAIN];
    expect(pitrWindow(broken, NOW)).toMatchObject({ seconds: 9 * 3600, endAgeSeconds: 3600 });
  });

  it('no whole chain at all: undefined (the gauges show no sample)', () => {
    expect(pitrWindow([row('i1', 'incremental', 1, { parentId: 'gone' })], NOW)).toBeUndefined();
  });

  it('survives a parent cycle in a corrupt catalog', () => {
    const cycle = [row('a', 'incremental', 1, { parentId: 'b' }), row('b', 'incremental', 2, { parentId: 'a' })];
    expect(pitrWindow(cycle, NOW)).toBeUndefined();
  });
});
