import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectSchema } from '../../src/database/schema-inspector';
import { BUILT_CLI, BUILT_MAIN, spawnApp } from '../support/app-process';
import { buildLogicSolutionDatabase } from '../support/logic-solution-scripts';
import { MariaDbServer, tableChecksums } from '../support/mariadb';
import { type UpgradeDatabase, openDatabase, runCli } from '../support/upgrade-contract';

const DB = 'logic_crash';
const ROWS = 300_000;
const LONG_MIGRATION = 'AddedInstanceQueryIndexes1764201600000';

/**
 * kill -9 of `upgrade` in the middle of a migration that takes a while (three index builds
 * over 300,000 instances): the cut-short migration is seen, start refuses, and the
 * pre-upgrade backup brings the data back exactly.
 */
describe('upgrade killed in the middle of a migration (MariaDB)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'logic-ha-upgrade-crash-'));
  let server: MariaDbServer;
  let db: UpgradeDatabase;
  const onServer = (sql: string, parameters?: unknown[]) => server.query<any[]>(sql, parameters);

  beforeAll(async () => {
    server = await MariaDbServer.start({ serverId: 74 });
    const primary = await server.createDatabaseWithUser(DB, 'app', 'app-password');
    mkdirSync(join(cwd, 'data'), { recursive: true });
    db = {
      cwd,
      config: { type: 'mysql', primary, standbys: [], connectTimeoutMs: 5000, poolSize: 5 },
      env: {
        DB_TYPE: 'mysql',
        DB_PRIMARY_URL: `mysql://app:app-password@127.0.0.1:${server.port}/${DB}`,
        DB_ADMIN_USER: 'root',
        DATA_DIR: join(cwd, 'data'),
        LOG_LEVEL: 'info',
      },
      secrets: [],
    };
    const ds = await openDatabase(db.config);
    await buildLogicSolutionDatabase(ds, '0.8').finally(() => ds.destroy());
    // The sequence engine needs a default database.
    await onServer(
      `USE ${DB}; INSERT INTO logic_instance (id, logicId, bizId, isOver, isRunning, retryTimes, createTime, startTime)
       SELECT CONCAT('fill-', seq), CONCAT('logic-', seq % 50), CONCAT('biz-', seq), seq % 2, 0, seq % 4, NOW() - INTERVAL seq SECOND, NOW(3)
         FROM seq_1_to_${ROWS}`,
    );
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('the cut-short migration blocks every start until the backup is restored, which gives back the data exactly', async () => {
    expect((await runCli(db, ['db', 'baseline'])).json).toMatchObject({ version: '0.8' });
    const before = await tableChecksums(onServer, DB);

    const upgrade = spawnApp(cwd, db.env, ['upgrade'], BUILT_CLI);
    // The started event is written just before the migration's first statement: kill then.
    for (;;) {
      const [row] = await onServer(
        `SELECT COUNT(*) AS n FROM ${DB}.logic_ha_schema_history WHERE migration = ? AND action = 'started'`,
        [LONG_MIGRATION],
      ).catch(() => [{ n: 0 }]);
      if (Number(row.n) > 0 || upgrade.child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    upgrade.child.kill('SIGKILL');
    expect((await upgrade.exited).signal).toBe('SIGKILL');
    const backupId = /"backupId":"([^"]+)"/.exec(upgrade.stderr())?.[1];
    expect(backupId).toBeDefined();

    const validate = await runCli(db, ['db', 'validate']);
    expect(validate.code).toBe(1);
    expect(validate.json.failed).toEqual([
      expect.objectContaining({
        name: LONG_MIGRATION,
        applied: false,
        error: expect.stringContaining('never finished'),
      }),
    ]);
    const start = spawnApp(cwd, { ...db.env, PORT: '0' }, [], BUILT_MAIN);
    expect((await start.exited).code).toBe(1);
    expect(start.stdout()).toContain('SCHEMA_VALIDATION_FAILED');
    expect(start.stdout()).toContain('rollback --restore');

    const restored = await runCli(db, ['rollback', '--restore', '--yes']);
    expect(restored.json).toMatchObject({ backupId });
    expect(await tableChecksums(onServer, DB)).toEqual(before);
    const ds = await openDatabase(db.config);
    try {
      expect(
        (await inspectSchema(ds)).find((t) => t.name === 'logic_instance')!.indexes.map((i) => i.name),
      ).not.toContain('idx_instance_createTime');
    } finally {
      await ds.destroy();
    }
    expect((await runCli(db, ['db', 'validate'])).json).toMatchObject({
      ok: true,
      failed: [],
      pending: [
        LONG_MIGRATION,
        'AddedBackupCatalog1764288000000',
        'AddedFailoverHistory1764374400000',
        'AlignedLogicSolutionDefaults1764460800000',
        'AddedEpochMarker1764547200000',
        'AddedBackupRestoreCheck1764720000000',
        'AddedWebhookDeliveries1764806400000',
      ],
    });
    // Its index builds over the filled table take most of a minute on a busy two-core machine.
  }, 180_000);
});
