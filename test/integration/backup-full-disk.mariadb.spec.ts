import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ADMIN_TOKEN, AUTH, waitForBackup } from '../support/backup-api';
import { dumpProcesses, eventually, openTransactions, rootConnectionsOn } from '../support/backup-leftovers';
import { MariaDbServer } from '../support/mariadb';
import { type TestApp, startTestApp } from '../support/test-app';

const DB = 'logic_ha';
/** Far smaller than the dump below, even gzipped: the upload hits ENOSPC part-way. */
const DISK_BYTES = 256 * 1024;

/** A real full file system: a tmpfs of DISK_BYTES (this suite runs as root, as CI does). */
function mountSmallDisk(): string {
  const path = mkdtempSync(join(tmpdir(), 'logic-ha-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_BYTES},mode=0700`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`cannot mount a small tmpfs at ${path} (this suite needs root): ${(error as Error).message}`, {
      cause: error,
    });
  }
  return path;
}

/**
 * A fault probe found that a full failing with ENOSPC left its mariadb-dump alive, blocked on
 * its stdout, holding a connection and a REPEATABLE READ transaction; every failed backup added
 * one more. A failed backup must leave nothing running on the server.
 */
describe('a full backup on a full disk (real tmpfs, private MariaDB)', () => {
  let source: MariaDbServer;
  let t: TestApp;
  let disk: string;

  beforeAll(async () => {
    disk = mountSmallDisk();
    source = await MariaDbServer.start({ serverId: 61 });
    const app = await source.createDatabaseWithUser(DB, 'app', 'app-password');
    t = await startTestApp({
      DB_TYPE: 'mysql',
      DB_PRIMARY_URL: `mysql://app:app-password@127.0.0.1:${app.port}/${DB}`,
      DB_ADMIN_USER: 'root',
      ADMIN_TOKEN,
      BACKUP_FULL_CRON: 'off',
      BACKUP_INCREMENTAL_CRON: 'off',
      BACKUP_DIR: disk,
    });
    // Hex of hashes compresses to about half: ~1 MB stored, four times the disk.
    await source.query(
      `USE ${DB}; INSERT INTO logic (id, name, version, configJson)
       SELECT CONCAT('l', seq), 'big', '1', CONCAT(SHA2(seq, 512), SHA2(seq * 7, 512)) FROM seq_1_to_8000`,
    );
  });
  afterAll(async () => {
    await t?.close();
    await source?.stop();
    if (disk) {
      execFileSync('umount', [disk]);
      rmSync(disk, { recursive: true, force: true });
    }
  });

  it('fails with STORAGE_FULL, and neither the dump nor its transaction outlives the failure', async () => {
    for (let attempt = 1; attempt <= 2; attempt++) {
      const { body } = await request(t.server).post('/api/v1/backups').set(AUTH).send({ type: 'full' }).expect(202);
      const done = await waitForBackup(t, body.id);
      expect(done).toMatchObject({ state: 'failed', error: { code: 'STORAGE_FULL' } });
      // The server ends a dead client's transaction as soon as it notices the closed socket.
      await eventually(
        async () => (await openTransactions(source)) === 0,
        `no open transaction after attempt ${attempt}`,
      );
      expect(await rootConnectionsOn(source, DB)).toBe(0);
    }
    expect(dumpProcesses(source.port)).toEqual([]);
  });
});
