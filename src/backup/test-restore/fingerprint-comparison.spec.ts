import { compareFingerprints } from './fingerprint-comparison';

describe('compareFingerprints', () => {
  const recorded = { a: { rows: 2, checksum: '11' }, b: { rows: 0, checksum: '0' } };

  it('matches identical fingerprints', () => {
    const result = compareFingerprints(recorded, { ...recorded });
    expect(result.ok).toBe(true);
    expect(result.problems).toEqual([]);
    expect(result.tables.map((t) => t.verdict)).toEqual(['match', 'match']);
  });

  it.each([
    ['a missing table', { b: recorded.b }, 'a', 'missing', /a: recorded at backup time, missing/],
    ['an extra table', { ...recorded, c: { rows: 1, checksum: '5' } }, 'c', 'extra', /c: present after the restore/],
    ['another row count', { ...recorded, a: { rows: 3, checksum: '11' } }, 'a', 'rows-differ', /a: 3 rows restored, 2/],
    ['another checksum', { ...recorded, a: { rows: 2, checksum: '12' } }, 'a', 'checksum-differs', /a: same row count/],
  ])('fails on %s, naming the table', (_label, actual, table, verdict, message) => {
    const result = compareFingerprints(recorded, actual);
    expect(result.ok).toBe(false);
    expect(result.tables.find((t) => t.table === table)?.verdict).toBe(verdict);
    expect(result.problems).toEqual([expect.stringMatching(message)]);
  });
});
