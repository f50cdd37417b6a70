import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { inspectSchema } from '../../src/database/schema-inspector';
import { MariaDbServer, tableChecksums } from '../support/mariadb';
import { type UpgradeDatabase, describeUpgradeContract } from '../support/upgrade-contract';

const APP_PASSWORD = 'app-Pa55-q7zk';
const ADMIN_PASSWORD = 'ops-Pa55-x9wr';
const lockName = (db: UpgradeDatabase) =>
  `logic_ha.migrate.${(db.config as { primary: { database: string } }).primary.database}`;

describe('upgrade and rollback on MariaDB (built service and CLI as processes)', () => {
  const root = mkdtempSync(join(tmpdir(), 'logic-ha-upgrade-'));
  let server: MariaDbServer;
  let counter = 0;
  beforeAll(async () => {
    server = await MariaDbServer.start({ serverId: 72 });
    // An admin account with a password (root has none here), so a leaked password would show.
    await server.query(
      `CREATE USER 'ops'@'127.0.0.1' IDENTIFIED BY '${ADMIN_PASSWORD}'; GRANT ALL PRIVILEGES ON *.* TO 'ops'@'127.0.0.1' WITH GRANT OPTION;`,
    );
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** CHECKSUM TABLE of every table, and every definition: equal means the same data and schema. */
  async function fingerprint(ds: DataSource): Promise<Record<string, unknown>> {
    const [{ name }] = await ds.query('SELECT DATABASE() AS name');
    return {
      checksums: await tableChecksums((sql, parameters) => ds.query(sql, parameters), name),
      schema: await inspectSchema(ds),
    };
  }

  describeUpgradeContract('mysql', () => ({
    freshDatabase: async () => {
      const name = `upgrade_${++counter}`;
      const primary = await server.createDatabaseWithUser(name, 'app', APP_PASSWORD);
      const cwd = join(root, name);
      mkdirSync(cwd, { recursive: true });
      return {
        cwd,
        config: { type: 'mysql', primary, standbys: [], connectTimeoutMs: 5000, poolSize: 5 },
        env: {
          DB_TYPE: 'mysql',
          DB_PRIMARY_URL: `mysql://app:${APP_PASSWORD}@127.0.0.1:${server.port}/${name}`,
          DB_ADMIN_USER: 'ops',
          DB_ADMIN_PASSWORD: ADMIN_PASSWORD,
          DATA_DIR: join(cwd, 'data'),
          BACKUP_DIR: join(cwd, 'backups'),
          LOG_LEVEL: 'info',
          ADMIN_TOKEN: 'upgrade-test-admin-token-0123456789',
        },
        secrets: [APP_PASSWORD, ADMIN_PASSWORD],
      };
    },
    fingerprint,
    holdMigrationLock: async (db) => {
      const connection = await createConnection({ host: '127.0.0.1', port: server.port, user: 'root' });
      await connection.query('SELECT GET_LOCK(?, 0)', [lockName(db)]);
      return () => connection.end();
    },
    migrationLockIsFree: async (db) => {
      const [row] = await server.query<{ free: number }[]>('SELECT IS_FREE_LOCK(?) AS free', [lockName(db)]);
      return Number(row.free) === 1;
    },
    lockHolder: /connection \d+/,
    transactionalDdl: false,
  }));
});
