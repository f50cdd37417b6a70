import type { BackupManifest } from './backup.types';
import { parseRestorePoint, planRestore } from './restore-plan';

const manifest = (id: string, type: 'full' | 'incremental', finishedAt: string, engine: 'mysql' | 'sqlite' = 'mysql') =>
  ({ id, type, finishedAt, engine }) as BackupManifest;

describe('parseRestorePoint', () => {
  it.each([
    [undefined, { kind: 'latest' }],
    ['', { kind: 'latest' }],
    ['0-1-42', { kind: 'gtid', gtid: '0-1-42' }],
    ['0-1-42,1-2-7', { kind: 'gtid', gtid: '0-1-42,1-2-7' }],
    ['2026-11-27T02:30:00Z', { kind: 'time', at: new Date('2026-11-27T02:30:00Z') }],
    ['2026-11-27T04:30:00.250+02:00', { kind: 'time', at: new Date('2026-11-27T02:30:00.250Z') }],
  ])('%j is %j', (input, expected) => {
    expect(parseRestorePoint(input)).toEqual(expected);
  });

  it.each(['yesterday', '2026-11-27 02:30:00', '2026-11-27T02:30:00', '2026-13-01T00:00:00Z', '0-1'])(
    'refuses %j naming `to`',
    (input) => {
      expect(() => parseRestorePoint(input)).toThrow(expect.objectContaining({ details: { field: 'to' } }));
    },
  );
});

describe('planRestore', () => {
  const mysql = [
    manifest('F', 'full', '2026-11-27T02:00:10Z'),
    manifest('I1', 'incremental', '2026-11-27T03:00:05Z'),
    manifest('I2', 'incremental', '2026-11-27T04:00:05Z'),
  ];

  it('MariaDB: applies incrementals up to the first that ends after the point', () => {
    expect(planRestore(mysql, { kind: 'time', at: new Date('2026-11-27T02:30:00Z') }).chain.map((b) => b.id)).toEqual([
      'F',
      'I1',
    ]);
    expect(planRestore(mysql, { kind: 'time', at: new Date('2026-11-27T03:30:00Z') }).chain.map((b) => b.id)).toEqual([
      'F',
      'I1',
      'I2',
    ]);
    expect(planRestore(mysql, { kind: 'latest' }).chain).toHaveLength(3);
  });

  it('refuses a point before the full ended or after the chain ended', () => {
    expect(() => planRestore(mysql, { kind: 'time', at: new Date('2026-11-27T02:00:00Z') })).toThrow(
      /before full backup F finished/,
    );
    expect(() => planRestore(mysql, { kind: 'time', at: new Date('2026-11-27T05:00:00Z') })).toThrow(/after I2 ended/);
  });

  it('SQLite: stops at the newest backup finished by the point; a GTID is refused', () => {
    const sqlite = mysql.map((b) => ({ ...b, engine: 'sqlite' as const }));
    expect(planRestore(sqlite, { kind: 'time', at: new Date('2026-11-27T03:30:00Z') }).chain.map((b) => b.id)).toEqual([
      'F',
      'I1',
    ]);
    expect(() => planRestore(sqlite, { kind: 'gtid', gtid: '0-1-1' })).toThrow(/GTID point needs a MariaDB/);
  });
});
