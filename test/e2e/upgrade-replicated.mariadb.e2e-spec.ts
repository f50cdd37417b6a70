import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MysqlEndpoint } from '../../src/config/mysql-url';
import { inspectSchema } from '../../src/database/schema-inspector';
import { diffSchemas } from '../../src/database/schema/schema-diff';
import { SCHEMA_VERSIONS, expectedSchema } from '../../src/database/schema/known-schemas';
import { BUILT_MAIN, spawnApp } from '../support/app-process';
import { buildLogicSolutionDatabase } from '../support/logic-solution-scripts';
import {
  type ReplicatedPair,
  createAppDatabase,
  startReplicatedPair,
  tableChecksums,
  waitForReplicaCaughtUp,
} from '../support/mariadb';
import { type UpgradeDatabase, openDatabase, runCli } from '../support/upgrade-contract';

const DB = 'logic_prod';
const TOKEN = 'upgrade-pair-admin-token-0123456789';
const LATEST = SCHEMA_VERSIONS[SCHEMA_VERSIONS.length - 1];

/**
 * UPGRADING.md's procedure on a primary + standby pair, step by step: a logic-solution
 * 0.7.4 database is adopted and upgraded on the primary only, the standby follows through
 * replication, and `rollback --restore` brings both back to exactly the data of before.
 */
describe('upgrade and rollback of a replicated pair, as UPGRADING.md tells', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-upgrade-pair-'));
  let pair: ReplicatedPair;
  let db: UpgradeDatabase;
  const onPrimary = (sql: string, parameters?: unknown[]) => pair.primary.query<any[]>(sql, parameters);
  const onStandby = (sql: string, parameters?: unknown[]) => pair.replica.query<any[]>(sql, parameters);
  let standbyEndpoint: MysqlEndpoint;
  const standbySchema = async () => {
    const standby = await openDatabase({
      type: 'mysql',
      primary: standbyEndpoint,
      standbys: [],
      connectTimeoutMs: 5000,
      poolSize: 1,
    });
    try {
      return await inspectSchema(standby);
    } finally {
      await standby.destroy();
    }
  };

  beforeAll(async () => {
    pair = await startReplicatedPair();
    const { primary, replica } = await createAppDatabase(pair, DB, 'app', 'app-password');
    standbyEndpoint = replica;
    db = {
      cwd,
      config: { type: 'mysql', primary, standbys: [], connectTimeoutMs: 5000, poolSize: 5 },
      env: {
        DB_TYPE: 'mysql',
        DB_PRIMARY_URL: `mysql://app:app-password@127.0.0.1:${pair.primary.port}/${DB}`,
        DB_STANDBY_URLS: `mysql://app:app-password@127.0.0.1:${pair.replica.port}/${DB}`,
        DB_ADMIN_USER: 'root',
        DATA_DIR: join(cwd, 'data'),
        LOG_LEVEL: 'info',
      },
      secrets: [],
    };
    const ds = await openDatabase(db.config);
    await buildLogicSolutionDatabase(ds, '0.7.4').finally(() => ds.destroy());
    await waitForReplicaCaughtUp(pair.primary, pair.replica);
  });
  afterAll(async () => {
    await pair?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('upgrades on the primary, the standby follows; rollback --restore returns both to the data before', async () => {
    const before = await tableChecksums(onPrimary, DB);
    expect(await tableChecksums(onStandby, DB)).toEqual(before);

    // 1. Check, changing nothing: the new build says what it sees and what it would run.
    expect((await runCli(db, ['db', 'plan'])).json.baseline).toMatchObject({ kind: 'match', version: '0.7.4' });
    // 2. Adopt the logic-solution database, 3. upgrade (all nodes stopped; none runs here).
    expect((await runCli(db, ['db', 'baseline'])).json).toMatchObject({ version: '0.7.4' });
    const recorded = await tableChecksums(onPrimary, DB);
    const upgraded = await runCli(db, ['upgrade']);
    expect(upgraded.json).toMatchObject({ ok: true, from: '0.7.4', to: LATEST, schemaDifferences: [] });

    // 4. Verify: the standby applied the same DDL through replication and holds the same data.
    await waitForReplicaCaughtUp(pair.primary, pair.replica);
    expect(diffSchemas(expectedSchema(LATEST, 'mysql'), await standbySchema())).toEqual([]);
    expect(await tableChecksums(onStandby, DB)).toEqual(await tableChecksums(onPrimary, DB));
    expect((await runCli(db, ['db', 'validate'])).json).toMatchObject({ ok: true, pending: [] });

    // 5. Start the new build: it finds nothing pending and serves; then stop it for the rollback.
    const app = spawnApp(cwd, { ...db.env, PORT: '0', ADMIN_TOKEN: TOKEN }, [], BUILT_MAIN);
    try {
      const base = await app.listening();
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);
      const system = (await (
        await fetch(`${base}/api/v1/system`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json()) as { database: { schema: unknown } };
      expect(system.database.schema).toMatchObject({ pending: [], logicSolutionVersion: '0.8' });
    } finally {
      app.child.kill('SIGTERM');
    }
    expect((await app.exited).code).toBe(0);

    // Rollback: restore the pre-upgrade backup over the primary; the standby follows again.
    const restored = await runCli(db, ['rollback', '--restore', '--yes']);
    expect(restored.json).toMatchObject({ backupId: upgraded.json.backupId });
    await waitForReplicaCaughtUp(pair.primary, pair.replica);
    expect(await tableChecksums(onPrimary, DB)).toEqual(recorded);
    expect(await tableChecksums(onStandby, DB)).toEqual(recorded);
    const [status] = await onStandby('SHOW SLAVE STATUS');
    expect({ io: status.Slave_IO_Running, sql: status.Slave_SQL_Running, error: status.Last_SQL_Error }).toEqual({
      io: 'Yes',
      sql: 'Yes',
      error: '',
    });
    // The logic-solution tables hold what they held before logic-ha touched the database.
    for (const table of Object.keys(before))
      expect({ table, checksum: recorded[table] }).toEqual({ table, checksum: before[table] });
  });
});
