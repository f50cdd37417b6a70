import type { BackupManifest, BackupReader } from '../backup';
import { BackupErrorCode } from '../backup';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import type { KnownMigration } from '../database/migrator/known-migrations';
import type { DatabaseState } from '../database/migrator/database-state';
import type { MigrateOptions, SchemaMigrator } from '../database/migrator/schema-migrator';
import type { ValidationReport } from '../database/migrator/validation';
import { parseMysqlUrl } from '../config/mysql-url';
import { SCHEMA_VERSIONS } from '../database/schema/known-schemas';
import { mysqlUrlOf, newestPreUpgradeBackup, planRevert, resolveTarget, rollbackTo } from './rollback';

const KNOWN: KnownMigration[] = SCHEMA_VERSIONS.map((schemaVersion, i) => {
  const timestamp = 1600000000000 + i * 10_000_000_000;
  return {
    name: `Migration${i}${timestamp}`,
    timestamp,
    schemaVersion,
    instance: { up: async () => undefined, down: async () => undefined },
    up: [],
    down: [],
    checksum: 'c'.repeat(64),
  };
});

function managed(appliedCount: number, overrides: Partial<ValidationReport> = {}): DatabaseState {
  const names = KNOWN.map((m) => m.name);
  const validation = {
    ok: true,
    applied: names.slice(0, appliedCount),
    changed: [],
    missing: [],
    outOfOrder: [],
    failed: [],
    pending: names.slice(appliedCount),
    unrecorded: [],
    ...overrides,
  };
  return { kind: 'managed', known: KNOWN, validation };
}

function fakeMigrator(state: DatabaseState, log: string[] = []) {
  return {
    state: async () => state,
    // As SchemaMigrator does: under its lock, the hook (the backup) before the first down().
    revertTo: async (target: KnownMigration, options: Pick<MigrateOptions, 'beforeChanges' | 'onStep'> = {}) => {
      await options.beforeChanges?.({ from: 'ha-3', to: target.schemaVersion, migrations: ['x'] });
      log.push(`revertTo ${target.schemaVersion}`);
      const step = { migration: 'x', schemaVersion: 'ha-3', durationMs: 1 };
      options.onStep?.(step);
      return [step];
    },
  } as unknown as SchemaMigrator;
}

describe('resolveTarget', () => {
  it.each([
    ['0.7.4', '0.7.4'],
    [KNOWN[2].name, '0.7.7'],
    [String(KNOWN[3].timestamp), '0.8'],
  ])('finds %s', (spec, version) => {
    expect(resolveTarget(KNOWN, spec).schemaVersion).toBe(version);
  });

  it('refuses an unknown target naming the field and listing what exists', () => {
    const error = (() => {
      try {
        resolveTarget(KNOWN, '0.9');
      } catch (caught) {
        return caught as DomainError;
      }
    })();
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'MIGRATION_TARGET_UNKNOWN', details: { field: 'to' } });
    expect(error!.message).toContain('0.7.4 (Migration1');
  });
});

describe('planRevert', () => {
  it('lists the applied migrations newer than the target, newest first', async () => {
    const plan = await planRevert(fakeMigrator(managed(5)), '0.7.4');
    expect(plan.from).toBe('ha-1');
    expect(plan.toRevert.map((m) => m.schemaVersion)).toEqual(['ha-1', '0.8', '0.7.7']);
  });

  it('has nothing to revert at the target itself', async () => {
    expect((await planRevert(fakeMigrator(managed(2)), '0.7.4')).toRevert).toEqual([]);
  });

  it('refuses a target that is not applied, and a history that does not validate', async () => {
    await expect(planRevert(fakeMigrator(managed(2)), '0.8')).rejects.toMatchObject({
      code: 'MIGRATION_TARGET_UNKNOWN',
    });
    const changed = managed(7, { ok: false, changed: [{ name: KNOWN[6].name, recorded: 'a', current: 'b' }] });
    await expect(planRevert(fakeMigrator(changed), '0.7.4')).rejects.toMatchObject({
      code: 'SCHEMA_VALIDATION_FAILED',
    });
  });
});

describe('rollbackTo', () => {
  it('backs up first, reverts, then enters the backup in the catalog', async () => {
    const log: string[] = [];
    const migrator = fakeMigrator(managed(7), log);
    const backups = {
      takeFull: async (tag: string) => {
        log.push(`takeFull ${tag}`);
        return { id: 'b-1', tag } as unknown as BackupManifest;
      },
      register: async (manifest: BackupManifest) => {
        log.push(`register ${manifest.id}`);
        return true;
      },
    };
    const plan = await planRevert(migrator, '0.8');
    const result = await rollbackTo({ migrator, backups, progress: () => undefined }, plan);
    expect(log).toEqual(['takeFull pre-rollback-ha-3-0.8', 'revertTo 0.8', 'register b-1']);
    expect(result.reverted).toHaveLength(1);
    expect(result.backupId).toBe('b-1');
  });

  it('when a down() fails after the backup: enters the backup in the catalog and names it in the error', async () => {
    const log: string[] = [];
    const migrator = {
      state: async () => managed(7),
      revertTo: async (_target: KnownMigration, options: Pick<MigrateOptions, 'beforeChanges'> = {}) => {
        await options.beforeChanges?.({ from: 'ha-3', to: '0.8', migrations: ['x'] });
        throw new DomainError(
          'MIGRATION_FAILED',
          ErrorKind.Internal,
          'migration X (ha-1) failed in down(): Cannot drop index',
          { details: { migration: 'X' } },
        );
      },
    } as unknown as SchemaMigrator;
    const backups = {
      takeFull: async (tag: string) => ({ id: 'b-2', tag }) as unknown as BackupManifest,
      register: async (manifest: BackupManifest) => {
        log.push(`register ${manifest.id}`);
        return true;
      },
    };
    const failure = rollbackTo({ migrator, backups, progress: () => undefined }, await planRevert(migrator, '0.8'));
    await expect(failure).rejects.toMatchObject({
      code: 'MIGRATION_FAILED',
      details: { backupId: 'b-2', migration: 'X' },
    });
    await expect(failure).rejects.toThrow(
      /Cannot drop index\. To get back the data as it was before this rollback: npm run cli -- rollback --restore b-2/,
    );
    expect(log).toEqual(['register b-2']);
  });

  it('takes no backup when there is nothing to revert', async () => {
    const takeFull = jest.fn();
    const plan = await planRevert(fakeMigrator(managed(3)), '0.7.7');
    expect(
      await rollbackTo(
        { migrator: fakeMigrator(managed(3)), backups: { takeFull, register: jest.fn() }, progress: () => undefined },
        plan,
      ),
    ).toEqual({ backupId: null, reverted: [] });
    expect(takeFull).not.toHaveBeenCalled();
  });
});

describe('newestPreUpgradeBackup', () => {
  function readerOf(manifests: Partial<BackupManifest>[], unreadable: string[] = []) {
    return {
      storage: { description: 'local /backups', listIds: async () => [...manifests.map((m) => m.id!), ...unreadable] },
      manifest: async (id: string) => {
        const found = manifests.find((m) => m.id === id);
        // As BackupReader says of a folder without a manifest (an unfinished backup).
        if (!found)
          throw new DomainError(BackupErrorCode.NotUsable, ErrorKind.NotFound, `backup ${id} has no manifest`);
        return found;
      },
    } as unknown as BackupReader;
  }

  it('picks the newest pre-upgrade backup, ignoring other tags and unreadable folders', async () => {
    const reader = readerOf(
      [
        { id: 'a', tag: 'pre-upgrade-0.7.4-ha-2', finishedAt: '2026-11-01T00:00:00.000Z' },
        { id: 'b', tag: 'pre-upgrade-ha-2-ha-3', finishedAt: '2026-11-20T00:00:00.000Z' },
        { id: 'c', tag: 'nightly', finishedAt: '2026-11-25T00:00:00.000Z' },
        { id: 'd', tag: null, finishedAt: '2026-11-26T00:00:00.000Z' },
      ],
      ['half-written'],
    );
    expect((await newestPreUpgradeBackup(reader)).id).toBe('b');
  });

  it('refuses to guess when a manifest newer than the newest readable one is damaged, and skips unfinished folders', async () => {
    const manifests: Record<string, Partial<BackupManifest> | DomainError> = {
      '20261101-000000-000F': {
        id: '20261101-000000-000F',
        tag: 'pre-upgrade-0.7.4-ha-2',
        finishedAt: '2026-11-01T00:00:00.000Z',
      },
      '20261120-000000-000F': new DomainError(BackupErrorCode.Corrupt, ErrorKind.Conflict, 'manifest is not JSON'),
      '20261125-000000-000F': new DomainError(BackupErrorCode.NotUsable, ErrorKind.NotFound, 'no manifest'),
    };
    const reader = {
      storage: { description: 'local /backups', listIds: async () => Object.keys(manifests) },
      manifest: async (id: string) => {
        const found = manifests[id];
        if (found instanceof Error) throw found;
        return found;
      },
    } as unknown as BackupReader;
    await expect(newestPreUpgradeBackup(reader)).rejects.toThrow(
      /manifest of 20261120-000000-000F cannot be read.*newest readable one is 20261101-000000-000F.*--restore <backup-id>/,
    );
    delete manifests['20261120-000000-000F'];
    expect((await newestPreUpgradeBackup(reader)).id).toBe('20261101-000000-000F');
  });

  it('says where it looked when there is none', async () => {
    await expect(
      newestPreUpgradeBackup(readerOf([{ id: 'c', tag: 'nightly', finishedAt: '2026-11-25T00:00:00.000Z' }])),
    ).rejects.toMatchObject({
      code: 'NO_PRE_UPGRADE_BACKUP',
      message: expect.stringContaining('local /backups'),
    });
  });
});

describe('mysqlUrlOf', () => {
  it.each([
    { host: '::1', port: 3307, user: 'ad@min', password: 'p:ss/w@rd', database: 'logic ha' },
    { host: 'db1.internal', port: 3306, user: 'root', password: '', database: 'logic_ha' },
  ])('writes a URL the restore target parser reads back exactly: %j', (endpoint) => {
    expect(parseMysqlUrl(mysqlUrlOf(endpoint))).toEqual(endpoint);
  });
});
