import type { BackupManifest, RebuildReport } from '../backup';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import type { TableShape } from '../database/schema-inspector';
import type { KnownMigration } from '../database/migrator/known-migrations';
import {
  currentVersion,
  type DatabaseState,
  pendingMigrations,
  type StepReport,
} from '../database/migrator/database-state';
import { type MigrateOptions, type MigrateResult, type SchemaMigrator } from '../database/migrator/schema-migrator';
import type { ValidationReport } from '../database/migrator/validation';
import { SCHEMA_VERSIONS, type SchemaVersion, expectedSchema } from '../database/schema/known-schemas';
import type { SchemaDetection } from '../database/schema/version-detector';
import type { CatalogTable, SchemaBackups } from './schema-backups';
import { type UpgradeDependencies, upgrade } from './upgrade';

/** One migration per schema version, oldest first, as describeMigrations gives them. */
const KNOWN: KnownMigration[] = SCHEMA_VERSIONS.map((schemaVersion, i) => {
  const timestamp = 1600000000000 + i * 10_000_000_000;
  return {
    name: `Migration${i}${timestamp}`,
    timestamp,
    schemaVersion,
    instance: { up: async () => undefined, down: async () => undefined },
    up: [],
    down: [],
    checksum: String(i).repeat(64),
  };
});
const NAMES = KNOWN.map((m) => m.name);
const LATEST = SCHEMA_VERSIONS[SCHEMA_VERSIONS.length - 1];

function validation(appliedCount: number, overrides: Partial<ValidationReport> = {}): ValidationReport {
  return {
    ok: true,
    applied: NAMES.slice(0, appliedCount),
    changed: [],
    missing: [],
    outOfOrder: [],
    failed: [],
    pending: NAMES.slice(appliedCount),
    unrecorded: [],
    ...overrides,
  };
}

function managed(appliedCount: number, overrides: Partial<ValidationReport> = {}): DatabaseState {
  return { kind: 'managed', known: KNOWN, validation: validation(appliedCount, overrides) };
}

function unbaselined(detection: SchemaDetection): DatabaseState {
  return { kind: 'unbaselined', known: KNOWN, detection };
}

function manifest(id: string, tag: string): BackupManifest {
  return { id, tag } as unknown as BackupManifest;
}

/** Fakes that write what happens, in order, into one log. */
class World {
  readonly log: string[] = [];
  readonly events: Record<string, unknown>[] = [];
  state: DatabaseState = managed(SCHEMA_VERSIONS.length);
  schemaAfter: TableShape[] = expectedSchema(LATEST, 'mysql');
  migrateOptions: MigrateOptions | null = null;
  /** What migrate() does under the lock: the backup hook, then what the state says is pending. */
  migrateImpl: (options: MigrateOptions) => Promise<MigrateResult> = async (options) => {
    await this.beforeChanges(options);
    const applied: StepReport[] = pendingMigrations(this.state).map((m, i) => ({
      migration: m.name,
      schemaVersion: m.schemaVersion,
      durationMs: 10 + i,
    }));
    for (const step of applied) options.onStep?.(step);
    const baselined =
      this.state.kind === 'unbaselined' && this.state.detection.kind === 'match'
        ? { version: this.state.detection.version, recorded: [], tolerated: this.state.detection.tolerated }
        : null;
    return { baselined, adopted: [], applied };
  };

  /** As SchemaMigrator calls it: with the version now, the target and the migrations about to run. */
  async beforeChanges(options: MigrateOptions): Promise<void> {
    await options.beforeChanges?.({
      from: currentVersion(this.state),
      to: LATEST,
      migrations: pendingMigrations(this.state).map((m) => m.name),
    });
  }
  takeFullImpl: (tag: string) => Promise<BackupManifest> = async (tag) => manifest('20250101T000000Z-full-abc', tag);
  registerImpl: (backup: BackupManifest) => Promise<boolean> = async () => true;
  /** Whether the catalog table exists: before the upgrade, then after it. */
  catalogTable = { before: true, after: true };
  rebuildImpl: () => Promise<RebuildReport> = async () => ({
    inserted: ['b-1', 'b-2'],
    updated: ['20250101T000000Z-full-abc'],
    incomplete: [],
    corrupt: [],
    missing: [],
    keyProblems: [],
  });

  readonly migrator = {
    engine: 'mysql',
    state: jest.fn(async () => {
      this.log.push('state');
      return this.state;
    }),
    migrate: jest.fn(async (options: MigrateOptions = {}) => {
      this.log.push('migrate');
      this.migrateOptions = options;
      const result = await this.migrateImpl(options);
      this.migrateDone = true;
      return result;
    }),
  };

  readonly backups: SchemaBackups = {
    takeFull: jest.fn(async (tag: string) => {
      this.log.push(`takeFull ${tag}`);
      return this.takeFullImpl(tag);
    }),
    register: jest.fn(async (backup: BackupManifest) => {
      this.log.push(`register ${backup.id}`);
      return this.registerImpl(backup);
    }),
  };

  readonly catalog: CatalogTable = {
    exists: async () => (this.migrateDone ? this.catalogTable.after : this.catalogTable.before),
    rebuild: jest.fn(async () => {
      this.log.push('rebuild catalog');
      return this.rebuildImpl();
    }),
  };

  /** Set once migrate() returned: the catalog answers as after the upgrade. */
  migrateDone = false;

  deps(): UpgradeDependencies {
    return {
      migrator: this.migrator as unknown as SchemaMigrator,
      backups: this.backups,
      catalog: this.catalog,
      inspect: async () => {
        this.log.push('inspect');
        return this.schemaAfter;
      },
      progress: (event) => this.events.push(event),
    };
  }
}

function withoutIndex(version: SchemaVersion, table: string, index: string): TableShape[] {
  const tables = structuredClone(expectedSchema(version, 'mysql'));
  const found = tables.find((t) => t.name === table)!;
  found.indexes = found.indexes.filter((i) => i.name !== index);
  return tables;
}

describe('upgrade', () => {
  let world: World;

  beforeEach(() => {
    world = new World();
  });

  it('does nothing when every migration is applied: no backup, no migration', async () => {
    world.state = managed(SCHEMA_VERSIONS.length);
    const report = await upgrade(world.deps(), { baseline: false });
    expect(report).toMatchObject({
      ok: true,
      from: LATEST,
      to: LATEST,
      backupId: null,
      applied: [],
      failed: null,
      rollbackCommand: null,
    });
    expect(world.backups.takeFull).not.toHaveBeenCalled();
    expect(world.migrator.migrate).not.toHaveBeenCalled();
    expect(world.backups.register).not.toHaveBeenCalled();
  });

  it('takes a tagged backup before it migrates, reports the steps and how to get back, then registers the backup', async () => {
    world.state = managed(3); // 0.6.2, 0.7.4, 0.7.7 applied
    const report = await upgrade(world.deps(), { baseline: false });

    const tag = `pre-upgrade-${SCHEMA_VERSIONS[2]}-${LATEST}`;
    expect(tag).toBe('pre-upgrade-0.7.7-ha-7');
    // The backup is taken inside migrate(), under its lock, before the first change.
    // Registered before the schema check, so a failing check cannot lose it.
    expect(world.log).toEqual(['state', 'migrate', `takeFull ${tag}`, 'register 20250101T000000Z-full-abc', 'inspect']);
    expect(report.ok).toBe(true);
    expect(report.from).toBe('0.7.7');
    expect(report.to).toBe(LATEST);
    expect(report.backupId).toBe('20250101T000000Z-full-abc');
    expect(report.rollbackCommand).toContain('rollback --restore 20250101T000000Z-full-abc');
    expect(report.applied.map((s) => s.migration)).toEqual(NAMES.slice(3));
    expect(report.applied.map((s) => s.schemaVersion)).toEqual(SCHEMA_VERSIONS.slice(3));
    expect(report.failed).toBeNull();
    expect(report.schemaDifferences).toEqual([]);
    expect(world.migrateOptions?.baseline).toBe(false);
    expect(world.backups.register).toHaveBeenCalledWith(expect.objectContaining({ id: '20250101T000000Z-full-abc' }));
  });

  it('reports progress: the backup, then each migration applied', async () => {
    world.state = managed(6);
    await upgrade(world.deps(), { baseline: false });
    const steps = world.events.map((e) => e.step);
    expect(steps).toEqual(['backup', 'backup-done', ...NAMES.slice(6).map(() => 'migration-applied')]);
    expect(world.events[0]).toMatchObject({ tag: 'pre-upgrade-ha-2-ha-7' });
    expect(world.events[1]).toMatchObject({ backupId: '20250101T000000Z-full-abc' });
    expect(world.events.slice(2).map((e) => e.migration)).toEqual(NAMES.slice(6));
  });

  it('tags the backup of an empty database with "empty"', async () => {
    world.state = { kind: 'empty', known: KNOWN, validation: validation(0) };
    world.schemaAfter = expectedSchema(LATEST, 'mysql');
    const report = await upgrade(world.deps(), { baseline: false });
    expect(report.from).toBeNull();
    expect(world.backups.takeFull).toHaveBeenCalledWith(`pre-upgrade-empty-${LATEST}`);
    expect(report.applied).toHaveLength(SCHEMA_VERSIONS.length);
    expect(report.ok).toBe(true);
  });

  it('changes nothing when the backup fails: the failure is thrown, no migration reported', async () => {
    world.state = managed(3);
    const failure = new Error('disk full');
    world.takeFullImpl = async () => {
      throw failure;
    };
    await expect(upgrade(world.deps(), { baseline: false })).rejects.toBe(failure);
    expect(world.events.map((e) => e.step)).toEqual(['backup']);
    expect(world.backups.register).not.toHaveBeenCalled();
  });

  it('stops at a failed migration, naming it and the command to get back', async () => {
    world.state = managed(3);
    const failing = NAMES[4];
    world.migrateImpl = async (options) => {
      await world.beforeChanges(options);
      options.onStep?.({ migration: NAMES[3], schemaVersion: SCHEMA_VERSIONS[3], durationMs: 5 });
      throw new DomainError(
        'MIGRATION_FAILED',
        ErrorKind.Internal,
        `migration ${failing} failed in up(): Duplicate key name`,
        {
          details: { migration: failing, schemaVersion: SCHEMA_VERSIONS[4], direction: 'up' },
        },
      );
    };
    const report = await upgrade(world.deps(), { baseline: false });
    expect(report.ok).toBe(false);
    expect(report.failed).toEqual({
      code: 'MIGRATION_FAILED',
      migration: failing,
      error: expect.stringContaining('Duplicate key name'),
    });
    expect(report.backupId).toBe('20250101T000000Z-full-abc');
    expect(report.rollbackCommand).toContain('rollback --restore 20250101T000000Z-full-abc');
    expect(report.applied.map((step) => step.migration)).toEqual([NAMES[3]]);
    expect(world.log).not.toContain('inspect');
    // Entered in the catalog all the same, when the table exists.
    expect(world.log).toContain('register 20250101T000000Z-full-abc');
  });

  it('reports a failure that names no migration (not a DomainError) with a null migration', async () => {
    world.state = managed(3);
    world.migrateImpl = async (options) => {
      await world.beforeChanges(options);
      throw new Error('connection lost');
    };
    const report = await upgrade(world.deps(), { baseline: false });
    expect(report.ok).toBe(false);
    expect(report.failed).toEqual({ code: null, migration: null, error: 'connection lost' });
    expect(report.rollbackCommand).toContain('20250101T000000Z-full-abc');
  });

  it.each(['MIGRATION_LOCK_TIMEOUT', 'SCHEMA_VALIDATION_FAILED'])(
    'throws a refusal under the lock (%s) as it is: no backup was taken, nothing changed',
    async (code) => {
      world.state = managed(3);
      world.migrateImpl = async () => {
        throw new DomainError(code, ErrorKind.Conflict, `refused: ${code}`);
      };
      await expect(upgrade(world.deps(), { baseline: false })).rejects.toMatchObject({ code });
      expect(world.backups.takeFull).not.toHaveBeenCalled();
      expect(world.backups.register).not.toHaveBeenCalled();
    },
  );

  it('offers the rollback when the lock is lost after the backup', async () => {
    world.state = managed(3);
    world.migrateImpl = async (options) => {
      await world.beforeChanges(options);
      throw new DomainError('MIGRATION_LOCK_LOST', ErrorKind.Unavailable, 'the migration lock was lost');
    };
    const report = await upgrade(world.deps(), { baseline: false });
    expect(report.failed).toMatchObject({ code: 'MIGRATION_LOCK_LOST' });
    expect(report.rollbackCommand).toContain('rollback --restore 20250101T000000Z-full-abc');
  });

  it('takes no backup and reports nothing to do when another node upgraded before the lock was ours', async () => {
    world.state = managed(3);
    world.migrateImpl = async () => ({ baselined: null, adopted: [], applied: [] });
    const report = await upgrade(world.deps(), { baseline: false });
    expect(report).toMatchObject({ ok: true, backupId: null, applied: [], rollbackCommand: null });
    expect(world.backups.takeFull).not.toHaveBeenCalled();
  });

  it('is not ok when the schema reached differs from the expected one, and says how', async () => {
    world.state = managed(3);
    world.schemaAfter = withoutIndex(LATEST, 'logic_instance', 'idx_instance_createTime');
    const report = await upgrade(world.deps(), { baseline: false });
    expect(report.ok).toBe(false);
    expect(report.failed).toBeNull();
    expect(report.schemaDifferences).toEqual([expect.stringMatching(/idx_instance_createTime/)]);
    expect(report.rollbackCommand).toContain('20250101T000000Z-full-abc');
  });

  it('leaves other applications’ tables out of the schema check (a schema shared with them)', async () => {
    world.state = managed(3);
    const foreign: TableShape = { name: 'orders', primaryKey: ['id'], indexes: [], columns: [] };
    world.schemaAfter = [...expectedSchema(LATEST, 'mysql'), foreign];
    const report = await upgrade(world.deps(), { baseline: false });
    expect(report).toMatchObject({ ok: true, schemaDifferences: [] });
  });

  it('still reports success when the backup cannot be entered in the catalog, with a warning', async () => {
    world.state = managed(3);
    world.registerImpl = async () => {
      throw new Error('catalog table is locked');
    };
    const report = await upgrade(world.deps(), { baseline: false });
    expect(report.ok).toBe(true);
    expect(world.events).toContainEqual(
      expect.objectContaining({ step: 'catalog', warning: expect.stringContaining('catalog table is locked') }),
    );
  });

  it('refills the catalog from storage when the upgrade created its table (after a rollback below ha-2), instead of registering one backup', async () => {
    world.state = managed(2);
    world.catalogTable = { before: false, after: true };
    const report = await upgrade(world.deps(), { baseline: false });
    expect(world.log).toEqual([
      'state',
      'migrate',
      `takeFull pre-upgrade-0.7.4-${LATEST}`,
      'rebuild catalog',
      'inspect',
    ]);
    expect(report).toMatchObject({ ok: true, catalogRebuilt: { inserted: 3, corrupt: [], incomplete: [] } });
    expect(world.events).toContainEqual(expect.objectContaining({ step: 'catalog-rebuilt', inserted: 3 }));
  });

  it('leaves the catalog alone when its table was there before: the backup is registered, nothing rebuilt', async () => {
    world.state = managed(6);
    const report = await upgrade(world.deps(), { baseline: false });
    expect(world.catalog.rebuild).not.toHaveBeenCalled();
    expect(world.log).toContain('register 20250101T000000Z-full-abc');
    expect(report.catalogRebuilt).toBeNull();
  });

  it('still succeeds when the catalog rebuild fails, and says which command to run', async () => {
    world.state = managed(2);
    world.catalogTable = { before: false, after: true };
    world.rebuildImpl = async () => {
      throw new Error('backup dir unreadable');
    };
    const report = await upgrade(world.deps(), { baseline: false });
    expect(report).toMatchObject({ ok: true, catalogRebuilt: null });
    expect(world.events).toContainEqual(
      expect.objectContaining({
        step: 'catalog',
        warning: expect.stringContaining('backup dir unreadable); run `npm run cli -- backup catalog rebuild`'),
      }),
    );
  });

  it('refuses a database without history unless baselining is allowed, before any backup', async () => {
    world.state = unbaselined({ kind: 'match', version: '0.7.4', tolerated: [], otherTables: [] });
    await expect(upgrade(world.deps(), { baseline: false })).rejects.toMatchObject({ code: 'SCHEMA_NOT_BASELINED' });
    expect(world.backups.takeFull).not.toHaveBeenCalled();
    expect(world.migrator.migrate).not.toHaveBeenCalled();
  });

  it('baselines a recognised database when allowed, tagging the backup with the detected version', async () => {
    world.state = unbaselined({
      kind: 'match',
      version: '0.7.4',
      tolerated: ['logic: comments on id "主键"'],
      otherTables: ['orders'],
    });
    const report = await upgrade(world.deps(), { baseline: true });
    expect(report.tolerated).toEqual(['logic: comments on id "主键"']);
    expect(world.log.slice(0, 3)).toEqual(['state', 'migrate', `takeFull pre-upgrade-0.7.4-${LATEST}`]);
    expect(world.migrateOptions?.baseline).toBe(true);
    expect(report).toMatchObject({ ok: true, from: '0.7.4', to: LATEST, baselined: '0.7.4' });
    expect(report.applied.map((s) => s.migration)).toEqual(NAMES.slice(2));
  });

  it('refuses a database without history whose schema is no known version, before any backup', async () => {
    world.state = unbaselined({
      kind: 'unknown',
      closest: '0.7.4',
      differences: ['logic.module: column is missing'],
      tolerated: [],
      otherTables: [],
    });
    await expect(upgrade(world.deps(), { baseline: true })).rejects.toMatchObject({ code: 'SCHEMA_UNKNOWN' });
    expect(world.backups.takeFull).not.toHaveBeenCalled();
    expect(world.migrator.migrate).not.toHaveBeenCalled();
  });

  it('refuses a managed database whose history does not validate, before any backup', async () => {
    world.state = managed(3, {
      ok: false,
      changed: [{ name: NAMES[1], recorded: 'a'.repeat(64), current: KNOWN[1].checksum }],
    });
    const refusal = upgrade(world.deps(), { baseline: true });
    await expect(refusal).rejects.toMatchObject({ code: 'SCHEMA_VALIDATION_FAILED' });
    await expect(refusal).rejects.toThrow(NAMES[1]);
    expect(world.backups.takeFull).not.toHaveBeenCalled();
    expect(world.migrator.migrate).not.toHaveBeenCalled();
  });
});
