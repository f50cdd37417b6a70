import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { Connection } from 'mysql2/promise';
import { BackupReader } from '../../src/backup/backup-reader';
import { KeyRing } from '../../src/backup/crypto/key-ring';
import { newBackupId } from '../../src/backup/backup-id';
import { MysqlRestoreEngine } from '../../src/backup/engines/mysql/mysql-restore.engine';
import { assembleManifest, serialiseManifest } from '../../src/backup/manifest';
import { RestoreService } from '../../src/backup/restore.service';
import { MysqlBackupEngine } from '../../src/backup/engines/mysql/mysql-backup.engine';
import { ClientTools } from '../../src/backup/process/client-tools';
import { ProcessRunner } from '../../src/backup/process/process-runner';
import { ProgressTracker } from '../../src/backup/progress';
import { LocalBackupStorage } from '../../src/backup/storage/local-backup.storage';
import { LockedSnapshot } from '../../src/backup/verification/snapshot-fingerprint';
import { fingerprintDatabase } from '../../src/backup/verification/table-fingerprint';
import { MariaDbServer } from '../support/mariadb';

const TABLE = `(id int PRIMARY KEY, name varchar(40) CHARACTER SET utf8mb4, note text CHARACTER SET latin1 NULL,
  amount decimal(10,2), at datetime(3), blobby varbinary(16) NULL)`;

describe('table fingerprints on MariaDB', () => {
  let server: MariaDbServer;
  let connection: Connection;
  const root = mkdtempSync(join(tmpdir(), 'logic-ha-fingerprint-'));

  beforeAll(async () => {
    Logger.overrideLogger(false);
    server = await MariaDbServer.start({ serverId: 61 });
    connection = await server.connectAsRoot();
  });
  afterAll(async () => {
    await connection?.end();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function seed(database: string, order: number[]): Promise<void> {
    await server.query(
      `CREATE DATABASE ${database}; CREATE TABLE ${database}.t ${TABLE}; CREATE TABLE ${database}.empty (x int);`,
    );
    for (const id of order) {
      await server.query(`INSERT INTO ${database}.t VALUES (?, ?, ?, ?, ?, ?)`, [
        id,
        `name ${id} é`,
        id % 2 ? null : `note ${id}`,
        id * 1.25,
        new Date(Date.UTC(2026, 0, id, 1, 2, 3, 456)),
        id % 3 ? Buffer.from([id, 0, 255]) : null,
      ]);
    }
  }

  it('equal rows give equal fingerprints whatever the insert order; one changed cell changes it', async () => {
    await seed('fa', [1, 2, 3, 4, 5, 6]);
    await seed('fb', [6, 4, 2, 5, 3, 1]);
    const a = await fingerprintDatabase(connection, 'fa');
    const b = await fingerprintDatabase(connection, 'fb');
    expect(a).toEqual(b);
    expect(a.t.rows).toBe(6);
    expect(a.empty).toEqual({ rows: 0, checksum: '0' });
    expect(a.t.checksum).toMatch(/^\d+$/);

    await server.query("UPDATE fb.t SET name = 'name 3 e' WHERE id = 3");
    const changed = await fingerprintDatabase(connection, 'fb');
    expect(changed.t.rows).toBe(6);
    expect(changed.t.checksum).not.toBe(a.t.checksum);
  });

  it("tells NULL from the string 'NULL' and a duplicated row from none", async () => {
    await server.query(
      `CREATE DATABASE fn; CREATE TABLE fn.n (v varchar(8) NULL); INSERT INTO fn.n VALUES (NULL);
       CREATE DATABASE fs; CREATE TABLE fs.n (v varchar(8) NULL); INSERT INTO fs.n VALUES ('NULL');
       CREATE DATABASE fd; CREATE TABLE fd.n (v varchar(8) NULL); INSERT INTO fd.n VALUES ('x'), ('x'), ('y');
       CREATE DATABASE fe; CREATE TABLE fe.n (v varchar(8) NULL); INSERT INTO fe.n VALUES ('y');`,
    );
    const [n, s, d, e] = await Promise.all(['fn', 'fs', 'fd', 'fe'].map((db) => fingerprintDatabase(connection, db)));
    expect(n.n.checksum).not.toBe(s.n.checksum);
    // With XOR, two equal rows would cancel out: x ^ x ^ y === y.
    expect(d.n.checksum).not.toBe(e.n.checksum);
  });

  it('a cell near max_allowed_packet still counts; TIMESTAMPs read the same whatever the session time zone', async () => {
    const big = (last: string) => `REPEAT('a', 60000), '${last}'`;
    await server.query(
      `CREATE DATABASE fl; CREATE TABLE fl.b (v longtext CHARACTER SET latin1, ts timestamp NULL);
       INSERT INTO fl.b VALUES (CONCAT(${big('x')}), '2026-03-01 10:00:00');
       CREATE DATABASE fm; CREATE TABLE fm.b (v longtext CHARACTER SET latin1, ts timestamp NULL);
       INSERT INTO fm.b VALUES (CONCAT(${big('y')}), '2026-03-01 10:00:00');`,
    );
    const [{ packet }] = await server.query<{ packet: number }[]>('SELECT @@global.max_allowed_packet AS packet');
    await server.query('SET GLOBAL max_allowed_packet = 65536');
    const small = await server.connectAsRoot();
    try {
      await small.query("SET SESSION time_zone = '+05:00'");
      const l = await fingerprintDatabase(small, 'fl');
      const m = await fingerprintDatabase(small, 'fm');
      // HEX() doubled the 60 KB cell past the packet: NULL, dropped from the row, both equal.
      expect(l.b.checksum).not.toBe(m.b.checksum);
      expect(await fingerprintDatabase(connection, 'fl')).toEqual(l);
    } finally {
      await small.end();
      await server.query(`SET GLOBAL max_allowed_packet = ${packet}`);
    }
  });

  it('a full records the fingerprint of its own dump snapshot, even under concurrent writes', async () => {
    await server.query(
      `CREATE DATABASE app; USE app; CREATE TABLE app.w (id int AUTO_INCREMENT PRIMARY KEY, v int);
       INSERT INTO app.w (v) SELECT seq FROM seq_1_to_2000;`,
    );
    const engine = new MysqlBackupEngine(
      { host: '127.0.0.1', port: server.port, user: 'root', password: '', database: 'app' },
      new ProcessRunner(),
      new ClientTools(),
    );
    let writing = true;
    const writer = (async () => {
      const c = await server.connectAsRoot('app');
      try {
        while (writing) await c.query('INSERT INTO w (v) VALUES (1); UPDATE w SET v = v + 1 WHERE id = 1;');
      } finally {
        await c.end();
      }
    })();
    const storage = new LocalBackupStorage(join(root, 'backups'));
    const id = newBackupId('full', new Date());
    let result;
    try {
      result = await engine.full({
        backupId: id,
        storage,
        compressionLevel: 1,
        signal: new AbortController().signal,
        progress: new ProgressTracker(),
        tempDir: mkdtempSync(join(root, 'tmp-')),
      });
    } finally {
      writing = false;
      await writer;
    }
    expect(result.verification).toBeDefined();
    expect(result.verification!.at).toEqual(result.end);
    expect(result.verification!.tables.w.rows).toBeGreaterThan(2000);
    // The dump itself, restored, has exactly the fingerprinted rows: both snapshots are one.
    const now = new Date();
    const manifest = assembleManifest({
      id,
      type: 'full',
      parent: null,
      tag: null,
      engine: 'mysql',
      schemaVersion: null,
      result,
      files: result.files,
      startedAt: now,
      finishedAt: now,
    });
    await storage.writeManifest(id, serialiseManifest(manifest));
    const restores = new RestoreService(
      new BackupReader(storage, KeyRing.none()),
      { mysql: new MysqlRestoreEngine(new ProcessRunner(), new ClientTools()), sqlite: undefined as never },
      join(root, 'tmp'),
    );
    await restores.restore(
      { backupId: id, target: `mysql://root@127.0.0.1:${server.port}/app_restored` },
      new ProgressTracker(),
      new AbortController().signal,
    );
    expect(await fingerprintDatabase(connection, 'app_restored')).toEqual(result.verification!.tables);
    expect(await fingerprintDatabase(connection, 'app')).not.toEqual(result.verification!.tables);
  });

  it('a full whose lock session is killed right after locking completes, without a fingerprint', async () => {
    await server.query(
      `CREATE DATABASE killed; CREATE TABLE killed.k (id int PRIMARY KEY); INSERT INTO killed.k VALUES (1), (2);`,
    );
    const open = LockedSnapshot.open.bind(LockedSnapshot);
    const spy = jest.spyOn(LockedSnapshot, 'open').mockImplementation(async (...args) => {
      const snapshot = await open(...args);
      await server.query(`KILL ${snapshot.sessionId}`);
      return snapshot;
    });
    try {
      const engine = new MysqlBackupEngine(
        { host: '127.0.0.1', port: server.port, user: 'root', password: '', database: 'killed' },
        new ProcessRunner(),
        new ClientTools(),
      );
      const result = await engine.full({
        backupId: newBackupId('full', new Date()),
        storage: new LocalBackupStorage(join(root, 'killed')),
        compressionLevel: 1,
        signal: new AbortController().signal,
        progress: new ProgressTracker(),
        tempDir: mkdtempSync(join(root, 'tmp-')),
      });
      expect(spy).toHaveBeenCalledTimes(1);
      expect(result.verification).toBeUndefined();
      expect(result.files).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('a read lock that cannot be had within lock_wait_timeout costs the full its fingerprint, not its dump', async () => {
    await server.query(
      `CREATE DATABASE busy; CREATE TABLE busy.b (id int PRIMARY KEY); INSERT INTO busy.b VALUES (1);`,
    );
    const holder = await server.connectAsRoot('busy');
    await holder.query('LOCK TABLES b WRITE');
    const open = LockedSnapshot.open.bind(LockedSnapshot);
    const failures: Error[] = [];
    const spy = jest.spyOn(LockedSnapshot, 'open').mockImplementation(async (...args) => {
      try {
        return await open(...args);
      } catch (error) {
        failures.push(error as Error);
        // mariadb-dump waits on the same lock without a limit: let it through now.
        await holder.query('UNLOCK TABLES');
        throw error;
      }
    });
    try {
      const result = await new MysqlBackupEngine(
        { host: '127.0.0.1', port: server.port, user: 'root', password: '', database: 'busy' },
        new ProcessRunner(),
        new ClientTools(),
      ).full({
        backupId: newBackupId('full', new Date()),
        storage: new LocalBackupStorage(join(root, 'busy')),
        compressionLevel: 1,
        signal: new AbortController().signal,
        progress: new ProgressTracker(),
        tempDir: mkdtempSync(join(root, 'tmp-')),
      });
      expect(failures.map((error) => error.message)).toEqual([expect.stringMatching(/Lock wait timeout exceeded/)]);
      expect(result.verification).toBeUndefined();
      expect(result.files).toHaveLength(1);
    } finally {
      spy.mockRestore();
      await holder.end();
    }
  });
});
