import type { KnownMigration } from './known-migrations';
import { type AppliedMigration, type HistoryAction, type HistoryRecord, foldHistory } from './schema-history';
import { describeValidationFailure, validateHistory } from './validation';

const TIMESTAMPS = [1590969600000, 1600000000000, 1610000000000, 1620000000000];
const VERSIONS = ['0.6.2', '0.7.4', '0.7.7', '0.8'];

/** Four migrations, oldest first; checksums differ already in their first 12 characters. */
const KNOWN: KnownMigration[] = TIMESTAMPS.map((timestamp, i) => ({
  name: `Step${i + 1}Migration${timestamp}`,
  timestamp,
  schemaVersion: VERSIONS[i],
  instance: { up: async () => undefined, down: async () => undefined },
  up: [{ sql: `CREATE TABLE t${i + 1} (id int)` }],
  down: [{ sql: `DROP TABLE t${i + 1}` }],
  checksum: `${String(i + 1).repeat(12)}${'ab'.repeat(26)}`,
}));
const [M1, M2, M3, M4] = KNOWN;

const AT = new Date('2025-03-04T05:06:07.089Z');

function appliedOf(...migrations: { name: string; timestamp: number }[]): AppliedMigration[] {
  return migrations.map(({ name, timestamp }) => ({ name, timestamp }));
}

function record(
  migration: string,
  action: HistoryAction,
  checksum: string | null,
  detail: string | null = null,
): HistoryRecord {
  return { migration, action, checksum, at: AT, detail };
}

/** The history a clean run leaves: the newest record of each applied migration is `applied` with its checksum. */
function cleanRecords(...migrations: KnownMigration[]): Map<string, HistoryRecord> {
  return new Map(migrations.map((m) => [m.name, record(m.name, 'applied', m.checksum)]));
}

/** Each entry is a migration's only event (the history folded as SchemaHistory reads it). */
function validate(
  known: KnownMigration[],
  applied: AppliedMigration[],
  records: Map<string, HistoryRecord>,
  options: { transactionalDdl: boolean },
) {
  return validateHistory(known, applied, foldHistory([...records.values()]), options);
}

const MARIADB = { transactionalDdl: false };
const SQLITE = { transactionalDdl: true };

describe('validateHistory', () => {
  it('sees a step that started and never finished (crash half-way) as failed on MariaDB, and not on SQLite', () => {
    const history = foldHistory([
      record(M1.name, 'applied', M1.checksum),
      record(M2.name, 'started', M2.checksum, 'up()'),
    ]);
    const mariadb = validateHistory(KNOWN, appliedOf(M1), history, MARIADB);
    expect(mariadb.ok).toBe(false);
    expect(mariadb.failed).toEqual([
      {
        name: M2.name,
        at: AT.toISOString(),
        error: 'up() started and never finished (the process or the server died)',
        applied: false,
      },
    ]);
    expect(validateHistory(KNOWN, appliedOf(M1), history, SQLITE)).toMatchObject({
      ok: true,
      failed: [],
      pending: [M2.name, M3.name, M4.name],
    });
  });

  it('keeps the checksum of an applied migration whose down() failed, and reports the failure as applied', () => {
    const history = foldHistory([
      record(M1.name, 'applied', M1.checksum),
      record(M2.name, 'applied', M2.checksum),
      record(M2.name, 'started', M2.checksum, 'down()'),
      record(M2.name, 'failed', M2.checksum, 'down(): Cannot drop index'),
    ]);
    const report = validateHistory(KNOWN, appliedOf(M1, M2), history, MARIADB);
    expect(report).toMatchObject({ ok: false, unrecorded: [], changed: [] });
    expect(report.failed).toEqual([
      { name: M2.name, at: AT.toISOString(), error: 'down(): Cannot drop index', applied: true },
    ]);
  });

  it('compares with the newest checksum recorded, not with events that carry none', () => {
    const history = foldHistory([
      record(M1.name, 'applied', 'f'.repeat(64)),
      record(M1.name, 'repaired', M1.checksum, 'accepted checksum change'),
      record(M1.name, 'repaired', null, 'failed attempt cleared'),
    ]);
    expect(validateHistory(KNOWN, appliedOf(M1), history, MARIADB)).toMatchObject({
      ok: true,
      changed: [],
      unrecorded: [],
    });
  });

  it('accepts a history whose applied migrations all carry the current checksum', () => {
    const report = validate(KNOWN, appliedOf(...KNOWN), cleanRecords(...KNOWN), MARIADB);
    expect(report).toEqual({
      ok: true,
      applied: KNOWN.map((m) => m.name),
      changed: [],
      missing: [],
      outOfOrder: [],
      failed: [],
      pending: [],
      unrecorded: [],
    });
  });

  it.each<HistoryAction>(['baseline', 'adopted', 'repaired'])(
    'accepts a matching checksum recorded by a %s event',
    (action) => {
      const records = cleanRecords(M1, M2);
      records.set(M2.name, record(M2.name, action, M2.checksum));
      const report = validate(KNOWN, appliedOf(M1, M2), records, MARIADB);
      expect(report.ok).toBe(true);
      expect(report.unrecorded).toEqual([]);
      expect(report.changed).toEqual([]);
    },
  );

  it('refuses an applied migration whose SQL changed since, with the recorded and the current checksum', () => {
    const records = cleanRecords(M1, M2, M3);
    const recorded = 'f'.repeat(64);
    records.set(M2.name, record(M2.name, 'applied', recorded));
    const report = validate(KNOWN, appliedOf(M1, M2, M3), records, MARIADB);
    expect(report.ok).toBe(false);
    expect(report.changed).toEqual([{ name: M2.name, recorded, current: M2.checksum }]);
    expect(report.unrecorded).toEqual([]);
    expect(report.pending).toEqual([M4.name]);
  });

  it('refuses a history with a migration this build does not have', () => {
    const newer = { name: 'FromTheFuture1900000000000', timestamp: 1900000000000 };
    const records = cleanRecords(...KNOWN);
    records.set(newer.name, record(newer.name, 'applied', 'e'.repeat(64)));
    const report = validate(KNOWN, appliedOf(...KNOWN, newer), records, MARIADB);
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual([newer.name]);
    expect(report.applied).toEqual([...KNOWN.map((m) => m.name), newer.name]);
  });

  it('lists applied migrations without any history record as unrecorded, and still accepts them', () => {
    const report = validate(KNOWN, appliedOf(M1, M2), new Map(), MARIADB);
    expect(report.ok).toBe(true);
    expect(report.unrecorded).toEqual([M1.name, M2.name]);
    expect(report.changed).toEqual([]);
    expect(report.pending).toEqual([M3.name, M4.name]);
  });

  it('lists an applied migration whose newest record carries no checksum as unrecorded', () => {
    const records = cleanRecords(M1, M2);
    records.set(M1.name, record(M1.name, 'applied', null));
    records.set(M2.name, record(M2.name, 'repaired', null, 'failed attempt cleared'));
    const report = validate(KNOWN, appliedOf(M1, M2), records, MARIADB);
    expect(report.ok).toBe(true);
    expect(report.unrecorded).toEqual([M1.name, M2.name]);
    expect(report.changed).toEqual([]);
  });

  it('lists the migrations newer than the newest applied as pending, oldest first', () => {
    const report = validate(KNOWN, appliedOf(M1, M2), cleanRecords(M1, M2), MARIADB);
    expect(report.ok).toBe(true);
    expect(report.pending).toEqual([M3.name, M4.name]);
    expect(report.outOfOrder).toEqual([]);
  });

  it('lists everything as pending on an empty database', () => {
    const report = validate(KNOWN, [], new Map(), MARIADB);
    expect(report.ok).toBe(true);
    expect(report.applied).toEqual([]);
    expect(report.pending).toEqual(KNOWN.map((m) => m.name));
  });

  it('refuses a migration that is not applied but older than one that is (it would run out of order)', () => {
    const report = validate(KNOWN, appliedOf(M1, M3), cleanRecords(M1, M3), MARIADB);
    expect(report.ok).toBe(false);
    expect(report.outOfOrder).toEqual([M2.name]);
    expect(report.pending).toEqual([M4.name]);
  });

  it('refuses a migration whose last attempt failed on an engine that commits DDL as it goes', () => {
    const records = cleanRecords(M1);
    records.set(M2.name, record(M2.name, 'failed', M2.checksum, 'Duplicate column name'));
    const report = validate(KNOWN, appliedOf(M1), records, MARIADB);
    expect(report.ok).toBe(false);
    expect(report.failed).toEqual([
      { name: M2.name, at: AT.toISOString(), error: 'Duplicate column name', applied: false },
    ]);
    expect(report.outOfOrder).toEqual([]);
    expect(report.pending).toEqual([M2.name, M3.name, M4.name]);
  });

  it('does not hold a failed attempt against an engine that rolled it back whole: the migration is just pending', () => {
    const records = cleanRecords(M1);
    records.set(M2.name, record(M2.name, 'failed', M2.checksum, 'Duplicate column name'));
    const report = validate(KNOWN, appliedOf(M1), records, SQLITE);
    expect(report.ok).toBe(true);
    expect(report.failed).toEqual([]);
    expect(report.pending).toEqual([M2.name, M3.name, M4.name]);
  });

  it('does not hold a failure an operator has since repaired against the migration', () => {
    const records = cleanRecords(M1);
    records.set(M2.name, record(M2.name, 'repaired', null, 'failed attempt cleared by an operator'));
    const report = validate(KNOWN, appliedOf(M1), records, MARIADB);
    expect(report.ok).toBe(true);
    expect(report.failed).toEqual([]);
    expect(report.pending).toEqual([M2.name, M3.name, M4.name]);
  });
});

describe('describeValidationFailure', () => {
  const CLI = 'logic-ha-cli';

  it('names every problem migration and says how to accept a changed one', () => {
    const records = cleanRecords(M1, M3);
    records.set(M1.name, record(M1.name, 'applied', 'f'.repeat(64)));
    records.set('Gone1800000000000', record('Gone1800000000000', 'applied', 'e'.repeat(64)));
    records.set(M4.name, record(M4.name, 'failed', M4.checksum, 'Table exists'));
    const report = validate(
      KNOWN,
      appliedOf(M1, M3, { name: 'Gone1800000000000', timestamp: 1800000000000 }),
      records,
      MARIADB,
    );
    expect(report.changed).toHaveLength(1);
    expect(report.missing).toHaveLength(1);
    expect(report.outOfOrder).toHaveLength(1);
    expect(report.failed).toHaveLength(1);

    const text = describeValidationFailure(report, CLI);
    expect(text).toContain(M1.name); // changed
    expect(text).toContain('Gone1800000000000'); // missing
    expect(text).toContain(M2.name); // out of order
    expect(text).toContain(M4.name); // failed
    expect(text).toContain('Table exists');
    expect(text).toContain(AT.toISOString());
    expect(text).toContain(`${CLI} db repair`);
    expect(text).toContain(`${CLI} rollback --restore`);
    // both checksums, shortened
    expect(text).toContain('f'.repeat(12));
    expect(text).toContain(M1.checksum.slice(0, 12));
  });

  it('tells to run db repair for a changed migration', () => {
    const records = cleanRecords(M1);
    records.set(M1.name, record(M1.name, 'applied', 'f'.repeat(64)));
    const text = describeValidationFailure(validate(KNOWN, appliedOf(M1), records, MARIADB), CLI);
    expect(text).toContain(M1.name);
    expect(text).toContain(`${CLI} db repair`);
  });

  it('does not suggest db repair when only a migration is missing from the build', () => {
    const extra = { name: 'Gone1800000000000', timestamp: 1800000000000 };
    const records = cleanRecords(...KNOWN);
    records.set(extra.name, record(extra.name, 'applied', 'e'.repeat(64)));
    const text = describeValidationFailure(validate(KNOWN, appliedOf(...KNOWN, extra), records, MARIADB), CLI);
    expect(text).toContain(extra.name);
    expect(text).not.toContain('db repair');
    for (const known of KNOWN) expect(text).not.toContain(known.name);
  });

  it('names an out-of-order migration without suggesting db repair', () => {
    const text = describeValidationFailure(validate(KNOWN, appliedOf(M1, M3), cleanRecords(M1, M3), MARIADB), CLI);
    expect(text).toContain(M2.name);
    expect(text).not.toContain('db repair');
    expect(text).not.toContain(M4.name); // pending is no problem
  });
});

describe('describeValidationFailure for failed steps', () => {
  const at = AT.toISOString();
  it('tells a failed up() to restore the pre-upgrade backup, repair, or mark it applied', () => {
    const message = describeValidationFailure(
      {
        ...validate(KNOWN, appliedOf(M1), new Map(), MARIADB),
        ok: false,
        failed: [{ name: M2.name, at, error: 'x', applied: false }],
      },
      'cli',
    );
    expect(message).toContain(`${M2.name}: up() failed`);
    expect(message).toContain('cli rollback --restore`');
    expect(message).toContain('cli db repair --mark-applied <migration>');
    expect(message).not.toContain('--mark-reverted');
  });

  it('tells a failed down() to restore the pre-rollback backup, repair, or mark it reverted', () => {
    const message = describeValidationFailure(
      {
        ...validate(KNOWN, appliedOf(M1, M2), new Map(), MARIADB),
        ok: false,
        failed: [{ name: M2.name, at, error: 'x', applied: true }],
      },
      'cli',
    );
    expect(message).toContain(`${M2.name}: down() failed`);
    expect(message).toContain('pre-rollback');
    expect(message).toContain('cli db repair --mark-reverted <migration>');
    expect(message).not.toContain('--mark-applied');
  });
});
