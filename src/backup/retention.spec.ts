import { type RetentionRow, planRetention } from './retention';

const at = (day: number) => new Date(Date.UTC(2026, 10, day, 2));
const row = (
  id: string,
  type: RetentionRow['type'],
  day: number,
  parentId: string | null,
  extra: Partial<RetentionRow> = {},
): RetentionRow => ({
  id,
  type,
  state: 'succeeded',
  parentId,
  startedAt: at(day),
  verifiedAt: null,
  ...extra,
});

describe('planRetention', () => {
  const rows = [
    row('F1', 'full', 1, null),
    row('I1', 'incremental', 1, 'F1'),
    row('F2', 'full', 2, null),
    row('I2', 'incremental', 2, 'F2'),
    row('I3', 'incremental', 2, 'I2'),
    row('F3', 'full', 3, null),
    row('R', 'incremental', 3, 'F3', { state: 'running' }),
  ];

  it('keeps the newest N fulls with their incrementals and expires the rest with theirs', () => {
    expect(planRetention(rows, 2)).toEqual({
      keptFulls: ['F3', 'F2'],
      expire: [
        { id: 'F1', reason: 'older than the newest 2 full backups' },
        { id: 'I1', reason: 'its full backup F1 expires' },
      ],
    });
  });

  it('never expires the newest verified full, even past the count', () => {
    const verified = rows.map((r) => (r.id === 'F1' ? { ...r, verifiedAt: at(4) } : r));
    const plan = planRetention(verified, 1);
    expect(plan.keptFulls).toEqual(['F3', 'F1']);
    expect(plan.expire.map((e) => e.id)).toEqual(['F2', 'I2', 'I3']);
  });

  it('expires incrementals behind a failed link and never touches running or failed rows', () => {
    const broken = rows.map((r) => (r.id === 'I2' ? { ...r, state: 'failed' as const } : r));
    const plan = planRetention(broken, 3);
    expect(plan.expire).toEqual([{ id: 'I3', reason: 'its chain no longer reaches a usable full backup' }]);
  });

  it('with no backups plans nothing', () => {
    expect(planRetention([], 7)).toEqual({ keptFulls: [], expire: [] });
  });
});
