import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import type { BackupManifest } from '../../src/backup/backup.types';
import type { EngineContext } from '../../src/backup/engines/backup-engine';
import { MysqlBackupEngine } from '../../src/backup/engines/mysql/mysql-backup.engine';
import { ClientTools } from '../../src/backup/process/client-tools';
import { ProcessRunner } from '../../src/backup/process/process-runner';
import { ProgressTracker } from '../../src/backup/progress';
import { LocalBackupStorage } from '../../src/backup/storage/local-backup.storage';
import { MariaDbServer, findMariaDbBinary, waitForReplicaCaughtUp } from '../support/mariadb';

const run = promisify(execFile);
const DOCKER_MARIADB = join(__dirname, '..', '..', 'docker', 'mariadb');

async function grantsOf(server: MariaDbServer, account: string): Promise<string> {
  const rows = await server.query<Record<string, string>[]>(`SHOW GRANTS FOR ${account}`);
  return rows.map((row) => Object.values(row)[0]).join('\n');
}

/** The compose file's MariaDB init files, run against private servers instead of containers. */
describe('docker/mariadb init files', () => {
  let primary: MariaDbServer;
  let replica: MariaDbServer;

  beforeAll(async () => {
    [primary, replica] = await Promise.all([
      MariaDbServer.start({ serverId: 41 }),
      MariaDbServer.start({ serverId: 42, readOnly: true }),
    ]);
    const usersSql = readFileSync(join(DOCKER_MARIADB, 'users.sql'), 'utf8');
    await Promise.all([primary.query(usersSql), replica.query(usersSql)]);
  });
  afterAll(async () => {
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it('users.sql gives the app account its database and no global privilege', async () => {
    const grants = await grantsOf(primary, "'logic_ha'@'%'");
    expect(grants).toMatch(/GRANT ALL PRIVILEGES ON `logic_ha`\.\*/);
    expect(grants).not.toMatch(/SUPER|READ_ONLY ADMIN|READ ONLY ADMIN|ON \*\.\* TO .* WITH|ALL PRIVILEGES ON \*\.\*/);
  });

  it('users.sql lets the monitor fence a server (READ_ONLY ADMIN) and read replication state', async () => {
    const grants = await grantsOf(primary, "'monitor'@'%'");
    expect(grants).toMatch(/READ_ONLY ADMIN/);
    expect(grants).toMatch(/REPLICATION SLAVE ADMIN/);
    // FAILOVER_CONFIGURE_REPLICAS turns semi-sync on on the primary.
    expect(grants).toMatch(/REPLICATION MASTER ADMIN/);
    expect(grants).not.toMatch(/SUPER/);
  });

  it('users.sql lets the monitor record the epoch marker', async () => {
    const grants = await grantsOf(primary, "'monitor'@'%'");
    expect(grants).toMatch(/GRANT INSERT, CREATE ON `logic_ha`\.`logic_ha_epoch` TO `monitor`@`%`/);
  });

  it('users.sql lets the monitor rebuild the app database of a fenced server (reclone), and no more', async () => {
    const grants = await grantsOf(primary, "'monitor'@'%'");
    const onAppDatabase = grants
      .split('\n')
      .map((line) => /^GRANT (.+) ON `logic_ha`\.\* TO `monitor`@`%`$/.exec(line)?.[1])
      .filter((privileges) => privileges !== undefined);
    // The dump and the replayed binlogs: tables dropped, created, altered and indexed, rows written.
    expect(onAppDatabase.flatMap((privileges) => privileges.split(', ')).sort()).toEqual(
      ['ALTER', 'CREATE', 'DELETE', 'DROP', 'INDEX', 'INSERT', 'UPDATE'].sort(),
    );
    // Unlogged sessions (sql_log_bin = 0), RESET MASTER, replayed row events: global rights it has for other reasons.
    expect(grants).toMatch(/BINLOG ADMIN/);
    expect(grants).toMatch(/RELOAD/);
    expect(grants).toMatch(/BINLOG REPLAY/);
    expect(grants).not.toMatch(/ALL PRIVILEGES ON `logic_ha`\.\*|WITH GRANT OPTION|SUPER/);
  });

  it('replica-init.sh makes the second server replicate the first', async () => {
    await run('bash', [join(DOCKER_MARIADB, 'replica-init.sh')], {
      env: {
        PATH: `${process.env.PATH}:${join(findMariaDbBinary('mariadb'), '..')}`,
        PRIMARY_HOST: '127.0.0.1',
        PRIMARY_PORT: String(primary.port),
        REPLICATION_PASSWORD: 'repl-password-change-me',
        MARIADB_ROOT_PASSWORD: '',
        LOCAL_SERVER_ARGS: `-h127.0.0.1 -P${replica.port}`,
        PRIMARY_WAIT_ATTEMPTS: '3',
      },
    });
    const app = await createConnection({
      host: '127.0.0.1',
      port: primary.port,
      user: 'logic_ha',
      password: 'app-password-change-me',
      database: 'logic_ha',
    });
    await app.query('CREATE TABLE ping (id int primary key)');
    await app.query('INSERT INTO ping VALUES (42)');
    await app.end();
    await waitForReplicaCaughtUp(primary, replica);
    expect(await replica.query('SELECT id FROM logic_ha.ping')).toEqual([{ id: 42 }]);
  });

  it('users.sql gives the monitor account what a full and an incremental backup need', async () => {
    const root = mkdtempSync(join(tmpdir(), 'logic-ha-monitor-backup-'));
    try {
      const storage = new LocalBackupStorage(join(root, 'backups'));
      const engine = new MysqlBackupEngine(
        {
          host: '127.0.0.1',
          port: primary.port,
          user: 'monitor',
          password: 'monitor-password-change-me',
          database: 'logic_ha',
        },
        new ProcessRunner(),
        new ClientTools(),
      );
      const context = (id: string): EngineContext => ({
        backupId: id,
        storage,
        compressionLevel: 1,
        signal: new AbortController().signal,
        progress: new ProgressTracker(),
        tempDir: mkdtempSync(join(root, 'tmp-')),
      });
      const full = await engine.full(context('20261127-020000-000F'));
      expect(full.files.map((f) => f.role)).toEqual(['dump']);
      await primary.query('INSERT INTO logic_ha.ping VALUES (43)');
      const parent = { id: '20261127-020000-000F', end: full.end } as BackupManifest;
      const incremental = await engine.incremental(context('20261127-030000-000I'), parent);
      expect(incremental.files.map((f) => f.role)).toEqual(['binlog']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
