import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import type { DatabaseConfig } from '../../src/config/app-config';
import {
  MIGRATIONS_TABLE,
  SCHEMA_HISTORY_TABLE,
  buildDataSourceOptions,
} from '../../src/database/data-source-options.factory';
import { inspectSchema } from '../../src/database/schema-inspector';
import { compareSchemas, diffSchemas } from '../../src/database/schema/schema-diff';
import {
  SCHEMA_VERSIONS,
  type SchemaEngine,
  expectedSchema,
  logicLogIndexName,
} from '../../src/database/schema/known-schemas';
import type { TableShape } from '../../src/database/schema-inspector';
import { BUILT_CLI, BUILT_MAIN, spawnApp } from './app-process';
import {
  LOGIC_SOLUTION_VERSIONS,
  type LogicSolutionVersion,
  buildLogicSolutionDatabase,
  logicSolutionBuilds,
  logicSolutionRows,
} from './logic-solution-scripts';
import { inspectCosmetics } from '../../src/database/schema/cosmetics';
import { columnsByName } from './logic-solution-scripts.contract';
import { comparable } from './migration-contract';

export const LATEST_SCHEMA_VERSION = SCHEMA_VERSIONS[SCHEMA_VERSIONS.length - 1];
const LATEST = LATEST_SCHEMA_VERSION;
const ROW_KEYS: Record<string, string> = {
  logic: 'id',
  logic_bak: 'aid',
  logic_instance: 'id',
  logic_log: 'id',
  logic_published: 'id',
};

/** One database under test and how the built service and CLI reach it. */
export interface UpgradeDatabase {
  config: DatabaseConfig;
  /** Environment for the service and the CLI (database, DATA_DIR, backups). */
  env: Record<string, string>;
  /** Where the processes run (and DATA_DIR lives). */
  cwd: string;
  /** Passwords in the environment: no command may print them. */
  secrets: string[];
}

export interface UpgradeEngine {
  freshDatabase(): Promise<UpgradeDatabase>;
  /** Every table's content and definition, such that equal fingerprints mean identical data. */
  fingerprint(ds: DataSource): Promise<Record<string, unknown>>;
  /** Holds the migration lock from outside logic-ha until the returned function is called. */
  holdMigrationLock(db: UpgradeDatabase): Promise<() => Promise<void>>;
  migrationLockIsFree(db: UpgradeDatabase): Promise<boolean>;
  /** How the lock-timeout message names the holder on this engine. */
  lockHolder: RegExp;
  /** SQLite rolls a failed migration back whole; MariaDB commits DDL as it goes. */
  transactionalDdl: boolean;
}

export async function openDatabase(config: DatabaseConfig): Promise<DataSource> {
  const options = buildDataSourceOptions({ database: config, runMigrationsOnInit: false });
  return new DataSource({ ...options, logging: false }).initialize();
}

async function withDatabase<T>(config: DatabaseConfig, work: (ds: DataSource) => Promise<T>): Promise<T> {
  const ds = await openDatabase(config);
  try {
    return await work(ds);
  } finally {
    await ds.destroy();
  }
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON line a command prints. */
  json: Record<string, any>;
}

export async function runCli(
  db: UpgradeDatabase,
  args: string[],
  options: { env?: Record<string, string>; stdin?: string; entry?: string } = {},
): Promise<CliRun> {
  const run = spawnApp(db.cwd, { ...db.env, ...options.env }, args, options.entry ?? BUILT_CLI);
  if (options.stdin !== undefined) run.child.stdin!.end(options.stdin);
  const { code } = await run.exited;
  expectNoSecrets(db, run.stdout() + run.stderr());
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(run.stdout().trim().split('\n').pop() ?? '{}');
  } catch {
    // Not every command prints JSON (db plan --sql); callers that need it assert on it.
  }
  return { code, stdout: run.stdout(), stderr: run.stderr(), json };
}

export function expectNoSecrets(db: UpgradeDatabase, output: string): void {
  for (const secret of db.secrets)
    expect(output.includes(secret) ? `output holds the secret ${secret.slice(0, 3)}…` : 'no secret').toBe('no secret');
}

async function readRows(ds: DataSource, version: LogicSolutionVersion) {
  const rows: Record<string, unknown[]> = {};
  for (const [table, tableRows] of Object.entries(logicSolutionRows(version))) {
    const columns = Object.keys(tableRows[0]);
    const read: Record<string, unknown>[] = await ds.query(
      `SELECT ${columns.map((c) => `\`${c}\``).join(', ')} FROM \`${table}\` ORDER BY \`${ROW_KEYS[table]}\``,
    );
    rows[table] = read.map(comparable);
  }
  return rows;
}

async function appliedCounts(ds: DataSource) {
  const migrations: { name: string }[] = await ds.query(`SELECT name FROM ${MIGRATIONS_TABLE}`);
  const applied: { migration: string }[] = await ds.query(
    `SELECT migration FROM ${SCHEMA_HISTORY_TABLE} WHERE action = 'applied'`,
  );
  const count = (names: string[]) =>
    names.reduce<Record<string, number>>((acc, name) => ({ ...acc, [name]: (acc[name] ?? 0) + 1 }), {});
  return { rows: count(migrations.map((m) => m.name)), applied: count(applied.map((a) => a.migration)) };
}

/** Which bookkeeping tables exist: a refusal or a dry run must not create them. */
async function bookkeepingTables(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  try {
    const exists = await Promise.all([MIGRATIONS_TABLE, SCHEMA_HISTORY_TABLE].map((table) => runner.hasTable(table)));
    return [MIGRATIONS_TABLE, SCHEMA_HISTORY_TABLE].filter((_, i) => exists[i]);
  } finally {
    await runner.release();
  }
}

/** logic-solution's own tables, columns by name: what must be equal whichever way a database got here. */
function logicSolutionTables(schema: TableShape[]): TableShape[] {
  return columnsByName(schema.filter((table) => Object.keys(ROW_KEYS).includes(table.name)));
}

/** Comments, collations and widths of logic-solution's own tables (none on SQLite). */
async function logicSolutionCosmetics(ds: DataSource) {
  return (await inspectCosmetics(ds)).tables.filter((table) => Object.keys(ROW_KEYS).includes(table.table));
}

/** Starts the built service on `db` (extra environment merged in) and gives its URL and a way to stop it. */
async function startService(db: UpgradeDatabase, env: Record<string, string> = {}) {
  const app = spawnApp(db.cwd, { ...db.env, PORT: '0', ...env }, [], BUILT_MAIN);
  const stop = async () => {
    app.child.kill('SIGKILL');
    await app.exited;
  };
  try {
    return { url: await app.listening(), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A row inserted as logic-solution's Java runtime does (only the columns it sets; no
 * serverTime, createTime or startTime), read back through the instance API: the
 * database's defaults must give it its times, or getInstance's newest-by-serverTime breaks.
 */
async function expectRuntimeRowGetsTimes(db: UpgradeDatabase, url: string): Promise<void> {
  const bizId = `sdk-${Date.now()}`;
  await withDatabase(db.config, (ds) =>
    ds.query(
      'INSERT INTO `logic_instance` (`id`, `logicId`, `version`, `bizId`, `env`, `paramsJson`, `isRunning`) VALUES (?, ?, ?, ?, ?, ?, 1)',
      [`${bizId}-id`, 'logic-sdk', '1.0.0', bizId, 'prod', '{"a":1}'],
    ),
  );
  const response = await fetch(`${url}/api/v1/instances/logic-sdk/${bizId}`, {
    headers: { authorization: `Bearer ${db.env.ADMIN_TOKEN}` },
  });
  expect(response.status).toBe(200);
  const instance = (await response.json()) as Record<string, unknown>;
  const recent = (value: unknown) => typeof value === 'string' && Math.abs(Date.parse(value) - Date.now()) < 5 * 60_000;
  expect({
    id: instance.id,
    serverTime: recent(instance.serverTime),
    createTime: recent(instance.createTime),
    startTime: recent(instance.startTime),
  }).toEqual({
    id: `${bizId}-id`,
    serverTime: true,
    createTime: true,
    startTime: true,
  });
}

async function tableNames(ds: DataSource): Promise<string[]> {
  return (await inspectSchema(ds)).map((table) => table.name);
}

/**
 * The upgrade and rollback contract every engine meets, through the built service and CLI
 * as separate processes, as operators run them.
 */
export function describeUpgradeContract(engineName: SchemaEngine, engine: () => UpgradeEngine): void {
  it('two processes starting at once on a new database apply every migration exactly once', async () => {
    const db = await engine().freshDatabase();
    // Both wait on the lock held here, then race for it the moment it is free.
    const hold = await engine().holdMigrationLock(db);
    let held = true;
    const release = async () => {
      if (held) await hold();
      held = false;
    };
    const apps = ['a', 'b'].map((node) =>
      spawnApp(db.cwd, { ...db.env, DATA_DIR: join(db.cwd, `node-${node}`), PORT: '0' }, [], BUILT_MAIN),
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(
        apps.map((app) => ({ listening: app.stdout().includes('logic-ha is listening'), exited: app.child.exitCode })),
      ).toEqual([
        { listening: false, exited: null },
        { listening: false, exited: null },
      ]);
      await release();
      await Promise.all(apps.map((app) => app.listening()));
      const logged = apps.map(
        (app) =>
          app
            .stdout()
            .split('\n')
            .filter((line) => line.includes('"migration applied"')).length,
      );
      expect(logged[0] + logged[1]).toBe(SCHEMA_VERSIONS.length);
      for (const app of apps) expectNoSecrets(db, app.stdout() + app.stderr());
      await withDatabase(db.config, async (ds) => {
        const counts = await appliedCounts(ds);
        const once = Object.fromEntries(MIGRATION_NAMES().map((name) => [name, 1]));
        expect(counts).toEqual({ rows: once, applied: once });
        expect(diffSchemas(expectedSchema(LATEST, engineName), await inspectSchema(ds))).toEqual([]);
      });
    } finally {
      await release();
      for (const app of apps) app.child.kill('SIGKILL');
      await Promise.all(apps.map((app) => app.exited));
    }
  });

  it('a database migrated by an earlier logic-ha (TypeORM runner, no checksums) starts: checksums adopted, nothing run again', async () => {
    const db = await engine().freshDatabase();
    const earlier = await new DataSource({
      ...buildDataSourceOptions({ database: db.config, runMigrationsOnInit: true }),
      logging: false,
    }).initialize();
    await earlier.destroy();
    expect((await runCli(db, ['db', 'validate'])).json).toMatchObject({
      ok: true,
      pending: [],
      unrecorded: MIGRATION_NAMES(),
    });
    const app = spawnApp(db.cwd, { ...db.env, PORT: '0' }, [], BUILT_MAIN);
    try {
      await app.listening();
    } finally {
      app.child.kill('SIGKILL');
      await app.exited;
    }
    await withDatabase(db.config, async (ds) => {
      const history: { migration: string; action: string }[] = await ds.query(
        `SELECT migration, action FROM ${SCHEMA_HISTORY_TABLE} ORDER BY id`,
      );
      expect(history).toEqual(MIGRATION_NAMES().map((migration) => ({ migration, action: 'adopted' })));
    });
    expect((await runCli(db, ['db', 'validate'])).json).toMatchObject({ ok: true, pending: [], unrecorded: [] });
  });

  it('a second run waits for the migration lock, gives up after MIGRATION_LOCK_TIMEOUT_MS naming the holder, and works once it is free', async () => {
    const db = await engine().freshDatabase();
    const release = await engine().holdMigrationLock(db);
    try {
      const blocked = await runCli(db, ['upgrade'], { env: { MIGRATION_LOCK_TIMEOUT_MS: '1500' } });
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain('[MIGRATION_LOCK_TIMEOUT]');
      expect(blocked.stderr).toMatch(engine().lockHolder);
      // Refused before its backup: nothing taken, nothing created.
      expect(
        existsSync(join(db.cwd, 'backups'))
          ? readdirSync(join(db.cwd, 'backups')).filter((f) => !f.startsWith('.'))
          : [],
      ).toEqual([]);
      await withDatabase(db.config, async (ds) =>
        expect({ tables: await tableNames(ds), bookkeeping: await bookkeepingTables(ds) }).toEqual({
          tables: [],
          bookkeeping: [],
        }),
      );
    } finally {
      await release();
    }
    const upgraded = await runCli(db, ['upgrade'], { env: { MIGRATION_LOCK_TIMEOUT_MS: '1500' } });
    expect(upgraded.json).toMatchObject({ ok: true, to: LATEST });
    expect(await engine().migrationLockIsFree(db)).toBe(true);
  });

  const builds = logicSolutionBuilds(engineName).map((build) => [build.name, build] as const);
  describe.each(builds)(
    "a database built by logic-solution's %s (no migration history, with rows, sharing its schema)",
    (_name, build) => {
      const version = build.version;
      let db: UpgradeDatabase;
      beforeAll(async () => {
        db = await engine().freshDatabase();
        await withDatabase(db.config, async (ds) => {
          await buildLogicSolutionDatabase(ds, build);
          // Another application's table in the same schema: left alone, and no reason to refuse.
          await ds.query('CREATE TABLE `crm_contact` (`id` int NOT NULL PRIMARY KEY, `name` varchar(50))');
          await ds.query("INSERT INTO `crm_contact` (`id`, `name`) VALUES (1, 'Ada')");
        });
      });

      it('db plan names the version and prints the SQL of what is pending, and changes nothing', async () => {
        const before = await withDatabase(db.config, (ds) => engine().fingerprint(ds));
        const plan = await runCli(db, ['db', 'plan']);
        expect(plan.code).toBe(0);
        expect(plan.json.baseline).toEqual({
          kind: 'match',
          version,
          tolerated: expect.any(Array),
          otherTables: ['crm_contact'],
        });
        const pendingVersions = SCHEMA_VERSIONS.slice(SCHEMA_VERSIONS.indexOf(version) + 1);
        expect(plan.json.pending.map((m: { schemaVersion: string }) => m.schemaVersion)).toEqual(pendingVersions);
        for (const migration of plan.json.pending) expect(migration.statements.length).toBeGreaterThan(0);
        // ha-4 looks first and changes only what is missing: on logic-solution's MariaDB scripts, nothing.
        const ha4 = plan.json.pending.find((m: { schemaVersion: string }) => m.schemaVersion === 'ha-4');
        if (engineName === 'mysql') expect(ha4.statements.filter((sql: string) => !/^\s*SELECT/.test(sql))).toEqual([]);
        const sql = await runCli(db, ['db', 'plan', '--sql']);
        expect(sql.stdout).toContain(`-- baseline: the schema is ${version}`);
        expect(sql.stdout).toMatch(/CREATE TABLE [`"]logic_ha_failover[`"]/);
        expect(await withDatabase(db.config, (ds) => engine().fingerprint(ds))).toEqual(before);
      });

      it('start refuses it without DB_BASELINE_ON_START and says how to adopt it', async () => {
        const app = spawnApp(db.cwd, { ...db.env, PORT: '0' }, [], BUILT_MAIN);
        const { code } = await app.exited;
        expect(code).toBe(1);
        expect(app.stdout()).toContain('SCHEMA_NOT_BASELINED');
        expect(app.stdout()).toContain('db baseline');
        await withDatabase(db.config, async (ds) => expect(await bookkeepingTables(ds)).toEqual([]));
      });

      it('baseline detects the version; upgrade backs up, reaches the current schema, and every row is intact', async () => {
        const rowsBefore = await withDatabase(db.config, (ds) => readRows(ds, version));
        const cosmeticsBefore = await withDatabase(db.config, (ds) => logicSolutionCosmetics(ds));
        const baseline = await runCli(db, ['db', 'baseline']);
        expect(baseline.json).toMatchObject({ version });
        expect(baseline.json.recorded).toHaveLength(SCHEMA_VERSIONS.indexOf(version) + 1);
        // What was forgiven is said: the Navicat export's comments, collations, widths and options on MariaDB; nothing on SQLite.
        if (engineName === 'mysql') {
          expect(baseline.json.tolerated).toEqual(
            expect.arrayContaining([
              'logic_instance: display widths on success tinyint(1), isOver tinyint(1), isRunning tinyint(1)' +
                (LOGIC_SOLUTION_VERSIONS.indexOf(version) >= LOGIC_SOLUTION_VERSIONS.indexOf('0.7.7')
                  ? ', isAsync tinyint(1)'
                  : ''),
              expect.stringMatching(/^logic_published: collation utf8mb4_unicode_ci \(the database's default is /),
              'logic_published: table options row_format=DYNAMIC',
              expect.stringMatching(/^logic_log: comments on id "主键", version "逻辑版本"/),
            ]),
          );
          const reordered = baseline.json.tolerated.some((line: string) =>
            line.startsWith('logic_instance: column order is'),
          );
          expect(reordered).toBe(version !== '0.6.2' && !build.merged);
        } else {
          expect(baseline.json.tolerated).toEqual([]);
        }

        const upgraded = await runCli(db, ['upgrade']);
        expect(upgraded.code).toBe(0);
        expect(upgraded.json).toMatchObject({
          ok: true,
          from: version,
          to: LATEST,
          schemaDifferences: [],
          failed: null,
        });
        expect(upgraded.json.applied.map((step: { schemaVersion: string }) => step.schemaVersion)).toEqual(
          SCHEMA_VERSIONS.slice(SCHEMA_VERSIONS.indexOf(version) + 1),
        );
        await withDatabase(db.config, async (ds) => {
          expect(await readRows(ds, version)).toEqual(rowsBefore);
          expect(diffSchemas(expectedSchema(LATEST, engineName), await inspectSchema(ds))).toEqual([
            'table crm_contact is not expected',
          ]);
          // The same logic-solution tables as a database logic-ha created: defaults, index names and columns alike.
          expect(logicSolutionTables(await inspectSchema(ds))).toEqual(
            logicSolutionTables(expectedSchema(LATEST, engineName)),
          );
          // ha-4 found everything in place and touched nothing: comments, collations and widths as the script left them.
          const after = await logicSolutionCosmetics(ds);
          const asBefore = after.map((table) => ({
            ...table,
            columns: table.columns.filter((c) =>
              cosmeticsBefore.find((t) => t.table === table.table)!.columns.some((b) => b.name === c.name),
            ),
          }));
          expect(asBefore).toEqual(cosmeticsBefore);
          expect(await ds.query('SELECT `id`, `name` FROM `crm_contact`')).toEqual([{ id: 1, name: 'Ada' }]);
          const [backup] = await ds.query(`SELECT tag, state, triggeredBy FROM logic_ha_backup WHERE id = ?`, [
            upgraded.json.backupId,
          ]);
          expect(backup).toEqual({
            tag: `pre-upgrade-${version}-${LATEST}`,
            state: 'succeeded',
            triggeredBy: 'upgrade',
          });
        });
        const validate = await runCli(db, ['db', 'validate']);
        expect(validate.json).toMatchObject({ ok: true, pending: [], changed: [] });
      });
    },
  );

  const realDifferences: [string, string, string][] = [
    [
      'an added column',
      'ALTER TABLE `logic_instance` ADD COLUMN `tenantId` varchar(36)',
      'logic_instance.tenantId: column is not expected',
    ],
    ['a missing column', 'ALTER TABLE `logic` DROP COLUMN `module`', 'logic.module: column is missing'],
  ];
  // SQLite cannot change a column's type in place.
  if (engineName === 'mysql')
    realDifferences.push([
      'a changed type',
      'ALTER TABLE `logic` MODIFY COLUMN `name` varchar(80)',
      'logic.name: type is "varchar(80)", expected "varchar(50)"',
    ]);
  it.each(realDifferences)(
    'a database that matches no known version (%s) is refused with the difference named, what was tolerated listed after, and nothing recorded',
    async (_what, change, named) => {
      const db = await engine().freshDatabase();
      await withDatabase(db.config, async (ds) => {
        await buildLogicSolutionDatabase(ds, '0.7.4');
        await ds.query(change);
      });
      const baseline = await runCli(db, ['db', 'baseline']);
      expect(baseline.code).toBe(1);
      expect(baseline.stderr).toContain('SCHEMA_UNKNOWN');
      expect(baseline.stderr).toContain('closest is 0.7.4');
      expect(baseline.stderr).toContain(named);
      if (engineName === 'mysql')
        expect(baseline.stderr).toMatch(
          /Also seen, and tolerated \(no reason to refuse\):\n(.*\n)* {2}- logic: collation utf8mb4_unicode_ci/,
        );
      await withDatabase(db.config, async (ds) => expect(await bookkeepingTables(ds)).toEqual([]));
    },
  );

  it("an adopted database whose logic_log index has a name of its own keeps it through the upgrade (ha-4 renames only logic-ha's old name)", async () => {
    const db = await engine().freshDatabase();
    await withDatabase(db.config, async (ds) => {
      await buildLogicSolutionDatabase(ds, '0.8');
      if (engineName === 'mysql')
        await ds.query('ALTER TABLE `logic_log` RENAME INDEX `logicId_bizId` TO `idx_log_logic_biz`');
      else
        await ds
          .query('DROP INDEX "idx_logic_log_logicId_bizId"')
          .then(() => ds.query('CREATE INDEX "idx_log_logic_biz" ON "logic_log" ("logicId", "bizId")'));
    });
    const baseline = await runCli(db, ['db', 'baseline']);
    expect(baseline.json.tolerated).toContain(
      `logic_log: index ${logicLogIndexName(engineName)} (logicId, bizId) is named idx_log_logic_biz`,
    );
    const upgraded = await runCli(db, ['upgrade']);
    expect(upgraded.json).toMatchObject({ ok: true, to: LATEST, schemaDifferences: [] });
    await withDatabase(db.config, async (ds) => {
      expect((await inspectSchema(ds)).find((t) => t.name === 'logic_log')!.indexes.map((i) => i.name)).toEqual([
        'idx_log_logic_biz',
      ]);
    });
  });

  it('start adopts a logic-solution database itself when DB_BASELINE_ON_START=true and serves the instance API, runtime rows getting their times', async () => {
    const db = await engine().freshDatabase();
    await withDatabase(db.config, (ds) => buildLogicSolutionDatabase(ds, '0.8'));
    const service = await startService(db, { DB_BASELINE_ON_START: 'true' });
    try {
      await withDatabase(db.config, async (ds) =>
        expect(diffSchemas(expectedSchema(LATEST, engineName), await inspectSchema(ds))).toEqual([]),
      );
      await expectRuntimeRowGetsTimes(db, service.url);
    } finally {
      await service.stop();
    }
  });

  it('a database logic-ha created gives runtime rows their times too (one schema whichever way)', async () => {
    const db = await engine().freshDatabase();
    const service = await startService(db);
    try {
      await expectRuntimeRowGetsTimes(db, service.url);
    } finally {
      await service.stop();
    }
  });

  it('a migration edited after it was applied: validate names it, start refuses, repair accepts it', async () => {
    const db = await engine().freshDatabase();
    expect((await runCli(db, ['upgrade'])).code).toBe(0);
    const edited = editedBuild(
      '1610000000000-AddedInstanceIsAsyncAndLogicBakVersionIndex.js',
      'DEFAULT 0',
      'DEFAULT 1',
    );
    try {
      const validate = await runCli(db, ['db', 'validate'], { entry: join(edited, 'dist', 'src', 'cli.js') });
      expect(validate.code).toBe(1);
      expect(validate.json.ok).toBe(false);
      expect(validate.json.changed.map((c: { name: string }) => c.name)).toEqual([
        'AddedInstanceIsAsyncAndLogicBakVersionIndex1610000000000',
      ]);

      const app = spawnApp(db.cwd, { ...db.env, PORT: '0' }, [], join(edited, 'dist', 'src', 'main.js'));
      expect((await app.exited).code).toBe(1);
      expect(app.stdout()).toContain('changed since it was applied');
      expect(app.stdout()).toContain('db repair');

      const repair = await runCli(db, ['db', 'repair'], { entry: join(edited, 'dist', 'src', 'cli.js') });
      expect(repair.json).toMatchObject({
        accepted: ['AddedInstanceIsAsyncAndLogicBakVersionIndex1610000000000'],
        remaining: { ok: true },
      });
      // The unedited build now sees the repaired checksum as the change.
      expect((await runCli(db, ['db', 'validate'])).code).toBe(1);
    } finally {
      rmSync(edited, { recursive: true, force: true });
    }
  });

  it('a migration that fails stops the upgrade, releases the lock, and rollback --restore brings back the data exactly', async () => {
    const db = await engine().freshDatabase();
    await withDatabase(db.config, (ds) => buildLogicSolutionDatabase(ds, '0.7.4'));
    expect((await runCli(db, ['db', 'baseline'])).code).toBe(0);
    // Someone created a table of the name ha-3 needs: its CREATE TABLE fails half-way through the upgrade.
    await withDatabase(db.config, (ds) =>
      ds.query('CREATE TABLE `logic_ha_failover` (`id` varchar(40) NOT NULL PRIMARY KEY)'),
    );
    const before = await withDatabase(db.config, (ds) => engine().fingerprint(ds));

    const upgraded = await runCli(db, ['upgrade']);
    expect(upgraded.code).toBe(1);
    expect(upgraded.json).toMatchObject({ ok: false, failed: { migration: 'AddedFailoverHistory1764374400000' } });
    expect(upgraded.json.applied.map((s: { schemaVersion: string }) => s.schemaVersion)).toEqual([
      '0.7.7',
      '0.8',
      'ha-1',
      'ha-2',
    ]);
    expect(upgraded.json.to).toBe(LATEST);
    expect(upgraded.stderr).toContain(`npm run cli -- rollback --restore ${upgraded.json.backupId}`);
    expect(await engine().migrationLockIsFree(db)).toBe(true);
    expect(await withDatabase(db.config, (ds) => engine().fingerprint(ds))).not.toEqual(before);
    // MariaDB committed part of it: the failure blocks every start until someone acts. SQLite rolled it back: it is just pending.
    const validate = await runCli(db, ['db', 'validate']);
    if (engine().transactionalDdl)
      expect(validate.json).toMatchObject({
        ok: true,
        failed: [],
        pending: [
          'AddedFailoverHistory1764374400000',
          'AlignedLogicSolutionDefaults1764460800000',
          'AddedEpochMarker1764547200000',
          'AddedBackupRestoreCheck1764720000000',
          'AddedWebhookDeliveries1764806400000',
        ],
      });
    else
      expect(validate.json).toMatchObject({
        ok: false,
        failed: [{ name: 'AddedFailoverHistory1764374400000', applied: false }],
      });

    const refused = await runCli(db, ['rollback', '--restore'], { stdin: 'no\n' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('not confirmed');

    const restored = await runCli(db, ['rollback', '--restore', '--yes']);
    expect(restored.code).toBe(0);
    expect(restored.json).toMatchObject({ backupId: upgraded.json.backupId, tag: `pre-upgrade-0.7.4-${LATEST}` });
    expect(await withDatabase(db.config, (ds) => engine().fingerprint(ds))).toEqual(before);
  });

  it('a failed migration finished by hand is recorded with db repair --mark-applied (and a down() by hand with --mark-reverted)', async () => {
    const db = await engine().freshDatabase();
    await withDatabase(db.config, (ds) => buildLogicSolutionDatabase(ds, '0.8'));
    expect((await runCli(db, ['db', 'baseline'])).code).toBe(0);
    await withDatabase(db.config, (ds) =>
      ds.query('CREATE TABLE `logic_ha_failover` (`id` varchar(40) NOT NULL PRIMARY KEY)'),
    );
    const failed = await runCli(db, ['upgrade']);
    expect(failed.json).toMatchObject({ ok: false, failed: { migration: 'AddedFailoverHistory1764374400000' } });

    // The operator removes the obstacle and runs the migration's own SQL (from db plan) by hand.
    const plan = await runCli(db, ['db', 'plan']);
    const [ha3] = plan.json.pending;
    expect(ha3.name).toBe('AddedFailoverHistory1764374400000');
    await withDatabase(db.config, async (ds) => {
      await ds.query('DROP TABLE `logic_ha_failover`');
      for (const statement of ha3.statements) await ds.query(statement);
    });
    const refused = await runCli(db, ['db', 'repair', '--mark-applied', 'AddedBackupCatalog1764288000000']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--mark-applied "AddedBackupCatalog1764288000000" is not a pending migration');
    const repaired = await runCli(db, ['db', 'repair', '--mark-applied', 'AddedFailoverHistory1764374400000']);
    expect(repaired.json).toMatchObject({
      markedApplied: ['AddedFailoverHistory1764374400000'],
      remaining: {
        ok: true,
        pending: [
          'AlignedLogicSolutionDefaults1764460800000',
          'AddedEpochMarker1764547200000',
          'AddedBackupRestoreCheck1764720000000',
          'AddedWebhookDeliveries1764806400000',
        ],
      },
    });
    // ha-3's schema: ha-4 (nothing to align on logic-solution's tables), ha-5, ha-6 and ha-7 are still pending.
    await withDatabase(db.config, async (ds) =>
      expect(diffSchemas(expectedSchema('ha-3', engineName), await inspectSchema(ds))).toEqual([]),
    );

    // And the other way: a down() done by hand is recorded with --mark-reverted, and the next upgrade applies it again.
    await withDatabase(db.config, (ds) => ds.query('DROP TABLE `logic_ha_failover`'));
    const reverted = await runCli(db, ['db', 'repair', '--mark-reverted', 'AddedFailoverHistory1764374400000']);
    expect(reverted.json).toMatchObject({
      markedReverted: ['AddedFailoverHistory1764374400000'],
      remaining: {
        ok: true,
        pending: [
          'AddedFailoverHistory1764374400000',
          'AlignedLogicSolutionDefaults1764460800000',
          'AddedEpochMarker1764547200000',
          'AddedBackupRestoreCheck1764720000000',
          'AddedWebhookDeliveries1764806400000',
        ],
      },
    });
    expect((await runCli(db, ['upgrade'])).json).toMatchObject({
      ok: true,
      applied: [
        { schemaVersion: 'ha-3' },
        { schemaVersion: 'ha-4' },
        { schemaVersion: 'ha-5' },
        { schemaVersion: 'ha-6' },
        { schemaVersion: 'ha-7' },
      ],
    });
    await withDatabase(db.config, async (ds) =>
      expect(diffSchemas(expectedSchema(LATEST, engineName), await inspectSchema(ds))).toEqual([]),
    );
  });

  it('rollback --to runs down() back to the version asked after confirmation; "no" changes nothing', async () => {
    const db = await engine().freshDatabase();
    await withDatabase(db.config, (ds) => buildLogicSolutionDatabase(ds, '0.7.4'));
    expect((await runCli(db, ['upgrade', '--baseline'])).json).toMatchObject({ ok: true, baselined: '0.7.4' });
    const rowsBefore = await withDatabase(db.config, (ds) => readRows(ds, '0.7.4'));
    const upgraded = await withDatabase(db.config, (ds) => engine().fingerprint(ds));

    const declined = await runCli(db, ['rollback', '--to', '0.7.4'], { stdin: 'no\n' });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain('AddedFailoverHistory1764374400000 (ha-3)');
    expect(await withDatabase(db.config, (ds) => engine().fingerprint(ds))).toEqual(upgraded);

    const rolledBack = await runCli(db, ['rollback', '--to', '0.7.4'], { stdin: 'yes\n' });
    expect(rolledBack.code).toBe(0);
    expect(rolledBack.json.reverted.map((s: { schemaVersion: string }) => s.schemaVersion)).toEqual([
      'ha-7',
      'ha-6',
      'ha-5',
      'ha-4',
      'ha-3',
      'ha-2',
      'ha-1',
      '0.8',
      '0.7.7',
    ]);
    await withDatabase(db.config, async (ds) => {
      // The script's 0.7.4 again, logic-solution's defaults kept (ha-4's down() keeps them).
      expect(compareSchemas(expectedSchema('0.7.4', engineName), await inspectSchema(ds)).refused).toEqual([]);
      expect(await readRows(ds, '0.7.4')).toEqual(rowsBefore);
    });
    const validate = await runCli(db, ['db', 'validate']);
    expect(validate.json).toMatchObject({ ok: true, pending: MIGRATION_NAMES().slice(2) });
  });
}

function MIGRATION_NAMES(): string[] {
  return MIGRATIONS.map((m) => m.name);
}

/** A copy of the built service whose compiled migration `file` has `from` replaced by `to`, as if edited after release. */
function editedBuild(file: string, from: string, to: string): string {
  const root = mkdtempSync(join(tmpdir(), 'logic-ha-edited-'));
  cpSync(join(__dirname, '..', '..', 'dist'), join(root, 'dist'), { recursive: true });
  symlinkSync(join(__dirname, '..', '..', 'node_modules'), join(root, 'node_modules'), 'dir');
  const path = join(root, 'dist', 'migrations', file);
  const source = readFileSync(path, 'utf8');
  if (!source.includes(from)) throw new Error(`${file} does not contain ${from}`);
  writeFileSync(path, source.split(from).join(to));
  return root;
}
