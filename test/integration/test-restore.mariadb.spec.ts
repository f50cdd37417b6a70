import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter2 } from '@nestjs/event-emitter';
import request from 'supertest';
import { BackupCatalogService } from '../../src/backup/catalog/backup-catalog.service';
import { gtidProgress } from '../../src/database/gtid-position';
import { TestRestoreScheduler } from '../../src/backup/test-restore/test-restore.scheduler';
import { ADMIN_TOKEN, AUTH, takeBackup } from '../support/backup-api';
import {
  type ReplicatedPair,
  createAppDatabase,
  startReplicatedPair,
  waitForReplicaCaughtUp,
} from '../support/mariadb';
import { type TestApp, startTestApp } from '../support/test-app';

const DB = 'logic_ha';
const SCRATCH = 'logic_ha_logic_ha_restore_check';

/**
 * Test restores on a replicated pair, through a backup account with no SUPER: a good chain
 * (full + incrementals under writes) is restore-verified; a full whose dump was swapped for
 * an older full's (manifest rewritten so the file check passes) is caught by the checksums.
 * The scratch database lives on the primary's server but never reaches the replica's.
 */
describe('test restores on MariaDB', () => {
  let pair: ReplicatedPair;
  let t: TestApp;
  const backupDir = mkdtempSync(join(tmpdir(), 'logic-ha-test-restore-'));
  const failures: Record<string, unknown>[] = [];
  const ids: Record<string, string> = {};

  const write = (sql: string) => pair.primary.query(`USE ${DB}; ${sql}`);
  const hasScratch = async (server: ReplicatedPair['primary']) =>
    (await server.query<unknown[]>(`SHOW DATABASES LIKE '${SCRATCH}'`)).length > 0;

  /** Writes in a loop while `work` runs: the backups' snapshots are taken under load. */
  async function underWrites<T>(work: () => Promise<T>): Promise<T> {
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        n += 1;
        await write(
          `INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes) VALUES ('w${Date.now()}-${n}', 'LW', 'BW${n}', 0, 0);
           UPDATE logic_instance SET retryTimes = retryTimes + 1 WHERE id = 'i1';`,
        );
      }
    })();
    try {
      return await work();
    } finally {
      writing = false;
      await writer;
    }
  }

  async function startTestRestore(id: string): Promise<Record<string, any>> {
    const { body } = await request(t.server).post(`/api/v1/backups/${id}/test-restore`).set(AUTH).expect(202);
    expect(body).toMatchObject({ state: 'running', requestedId: id });
    for (;;) {
      const { body: job } = await request(t.server)
        .get(`/api/v1/backups/test-restores/${body.id}`)
        .set(AUTH)
        .expect(200);
      if (job.state !== 'running') return job;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Every binlog event on the primary that names the scratch database (bar the account's GRANT): none may exist. */
  async function scratchEventsInPrimaryBinlog(): Promise<string[]> {
    const logs = await pair.primary.query<{ Log_name: string }[]>('SHOW BINARY LOGS');
    const found: string[] = [];
    for (const { Log_name } of logs) {
      const events = await pair.primary.query<{ Info: string }[]>(`SHOW BINLOG EVENTS IN '${Log_name}'`);
      found.push(
        ...events.map((e) => e.Info).filter((info) => info.includes('restore_check') && !info.startsWith('GRANT')),
      );
    }
    return found;
  }

  beforeAll(async () => {
    pair = await startReplicatedPair();
    const { primary } = await createAppDatabase(pair, DB, 'app', 'app-password');
    // The backup account as docs/backups-test-restore.md grants it: no SUPER, no global ALL.
    await pair.primary.query(
      `CREATE USER 'backup'@'127.0.0.1' IDENTIFIED BY 'backup-password';
       GRANT SELECT, LOCK TABLES, SHOW VIEW, TRIGGER, EVENT, RELOAD, BINLOG MONITOR, BINLOG ADMIN, BINLOG REPLAY,
         REPLICATION SLAVE
         ON *.* TO 'backup'@'127.0.0.1';
       GRANT ALL PRIVILEGES ON \`${SCRATCH}\`.* TO 'backup'@'127.0.0.1';`,
    );
    t = await startTestApp({
      DB_TYPE: 'mysql',
      DB_PRIMARY_URL: `mysql://app:app-password@127.0.0.1:${primary.port}/${DB}`,
      DB_ADMIN_USER: 'backup',
      DB_ADMIN_PASSWORD: 'backup-password',
      ADMIN_TOKEN,
      BACKUP_FULL_CRON: 'off',
      BACKUP_INCREMENTAL_CRON: 'off',
      BACKUP_TEST_RESTORE_CRON: 'off',
      BACKUP_DIR: backupDir,
    });
    t.app.get(EventEmitter2).on('backup.test-restore-failed', (event: Record<string, unknown>) => failures.push(event));
    await write(
      `INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes) SELECT CONCAT('i', seq), 'L1', CONCAT('B', seq), 0, 0 FROM seq_1_to_300;
       INSERT INTO logic (id, name, version) VALUES ('logic-1', 'Orders', '1.0');`,
    );
  });
  afterAll(async () => {
    await t?.close();
    await pair?.stop();
    rmSync(backupDir, { recursive: true, force: true });
  });

  it('takes fulls and incrementals under writes, each recording table fingerprints', async () => {
    // A second GTID domain that moves before the fulls and never after: its position is in every
    // backup's GTID list, yet the incrementals' binlogs hold no event of it.
    await write(
      `SET SESSION gtid_domain_id = 1;
       INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes) VALUES ('d1', 'LD', 'BD1', 0, 0);`,
    );
    ids.older = (await underWrites(() => takeBackup(t, 'full'))).id;
    await write(`DELETE FROM logic_instance WHERE id LIKE 'i2%'; UPDATE logic SET version = '1.1';`);
    ids.full = (await underWrites(() => takeBackup(t, 'full'))).id;
    await write(`UPDATE logic_instance SET isOver = 1 WHERE id LIKE 'i3%';`);
    ids.first = (await underWrites(() => takeBackup(t, 'incremental'))).id;
    await write(`DELETE FROM logic_instance WHERE id LIKE 'w%' LIMIT 3; UPDATE logic SET name = 'Orders v2';`);
    ids.second = (await underWrites(() => takeBackup(t, 'incremental'))).id;
    for (const id of [ids.older, ids.full, ids.first, ids.second]) {
      const manifest = JSON.parse(readFileSync(join(backupDir, id, 'manifest.json'), 'utf8'));
      expect(manifest.verification.tables.logic_instance.rows).toBeGreaterThan(200);
      expect(manifest.verification.at.gtid).toMatch(/^\d+-\d+-\d+/);
      expect(manifest.verification.at.gtid).toMatch(/(^|,)1-\d+-\d+/);
    }
  });

  it('restore-verifies the newest chain into a scratch database the replica never sees, replacing a leftover', async () => {
    // A killed run's leftover (kept out of the binlog, as ours are, and marked as ours): it must not survive.
    await pair.primary.query(
      `SET SESSION sql_log_bin = 0; CREATE DATABASE ${SCRATCH} COMMENT 'logic-ha test-restore scratch';
       CREATE TABLE ${SCRATCH}.leftover (x int);`,
    );
    const [{ pos_before: before }] = await pair.primary.query<{ pos_before: string }[]>(
      'SELECT @@gtid_binlog_pos AS pos_before',
    );
    let replicaSawScratch = false;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        replicaSawScratch ||= await hasScratch(pair.replica);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    let job: Record<string, any>;
    try {
      job = await startTestRestore(ids.second);
    } finally {
      sampling = false;
      await sampler;
    }
    expect(job.report.error).toBeNull();
    expect(job).toMatchObject({ state: 'succeeded', backupId: ids.second });
    expect(job.report).toMatchObject({ ok: true, chain: [ids.full, ids.first, ids.second] });
    const tables = job.report.comparison.tables as { table: string; verdict: string }[];
    expect(tables.map((x) => x.table)).toEqual(expect.arrayContaining(['logic', 'logic_instance', 'logic_ha_backup']));
    expect(tables.every((x) => x.verdict === 'match')).toBe(true);

    // Gone afterwards; never replicated; nothing of it in the primary's binlog.
    expect(await hasScratch(pair.primary)).toBe(false);
    await waitForReplicaCaughtUp(pair.primary, pair.replica);
    expect(replicaSawScratch).toBe(false);
    expect(await hasScratch(pair.replica)).toBe(false);
    expect(await scratchEventsInPrimaryBinlog()).toEqual([]);
    // The only transaction since is the app recording the outcome in its catalog.
    const [{ pos_after: after }] = await pair.primary.query<{ pos_after: string }[]>(
      'SELECT @@gtid_binlog_pos AS pos_after',
    );
    expect(gtidProgress(after) - gtidProgress(before)).toBeLessThanOrEqual(1);

    const { body: view } = await request(t.server).get(`/api/v1/backups/${ids.second}`).set(AUTH).expect(200);
    expect(view.restoreCheck).toMatchObject({ outcome: 'restore-verified', error: null });
    const { body: list } = await request(t.server).get('/api/v1/backups').set(AUTH).expect(200);
    expect(list.items.find((b: { id: string }) => b.id === ids.second).restoreCheck.outcome).toBe('restore-verified');
    const ready = await request(t.server).get('/health/ready');
    expect(ready.body.info.backup).toMatchObject({ newestRestoreVerifiedId: ids.second });
    expect(ready.body.info.backup.newestRestoreVerifiedAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(failures).toEqual([]);
  });

  it('refuses with 409 a database at the scratch name that logic-ha did not create, and leaves it untouched', async () => {
    await pair.primary.query(
      `SET SESSION sql_log_bin = 0; CREATE DATABASE ${SCRATCH}; CREATE TABLE ${SCRATCH}.theirs (x int);
       INSERT INTO ${SCRATCH}.theirs VALUES (42);`,
    );
    try {
      const { body } = await request(t.server).post(`/api/v1/backups/${ids.second}/test-restore`).set(AUTH).expect(409);
      expect(body).toMatchObject({ code: 'RESTORE_TARGET_REFUSED' });
      expect(body.message).toContain(`${SCRATCH} already exists`);
      expect(body.message).toContain('will not drop a database it did not create');
      expect(await pair.primary.query(`SELECT x FROM ${SCRATCH}.theirs`)).toEqual([{ x: 42 }]);
    } finally {
      await pair.primary.query(`SET SESSION sql_log_bin = 0; DROP DATABASE ${SCRATCH};`);
    }
  });

  it('the schedule (leader-only) test-restores the newest chain', async () => {
    const tick = await t.app.get(TestRestoreScheduler).tick();
    expect(tick).toMatchObject({ status: 'verified', backupId: ids.second, reason: null });
  });

  it('fails a full whose dump was swapped for an older full’s, with a manifest rewritten to match: the checksums catch it', async () => {
    const dump = (id: string) => join(backupDir, id, 'dump.sql.gz');
    const manifestPath = join(backupDir, ids.full, 'manifest.json');
    copyFileSync(dump(ids.older), dump(ids.full));
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const older = JSON.parse(readFileSync(join(backupDir, ids.older, 'manifest.json'), 'utf8'));
    const file = manifest.files.find((f: { role: string }) => f.role === 'dump');
    Object.assign(file, {
      sha256: createHash('sha256')
        .update(readFileSync(dump(ids.full)))
        .digest('hex'),
      sizeBytes: statSync(dump(ids.full)).size,
      rawBytes: older.files.find((f: { role: string }) => f.role === 'dump').rawBytes,
    });
    chmodSync(manifestPath, 0o600);
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    // The file check alone passes: only the fingerprints can tell.
    await request(t.server)
      .post(`/api/v1/backups/${ids.full}/verify`)
      .set(AUTH)
      .expect(200)
      .expect((r) => expect(r.body.ok).toBe(true));

    const job = await startTestRestore(ids.full);
    expect(job).toMatchObject({ state: 'failed', backupId: ids.full });
    expect(job.report.ok).toBe(false);
    expect(job.report.error).toMatch(/differs from what .* recorded: .*logic_instance/);
    const bad = (job.report.comparison.tables as { table: string; verdict: string }[]).filter(
      (x) => x.verdict !== 'match',
    );
    expect(bad.map((x) => x.table)).toEqual(expect.arrayContaining(['logic', 'logic_instance']));
    // Same single row, another version: only the checksum can tell.
    expect(bad.find((x) => x.table === 'logic')).toMatchObject({ verdict: 'checksum-differs' });

    const { body: view } = await request(t.server).get(`/api/v1/backups/${ids.full}`).set(AUTH).expect(200);
    expect(view.restoreCheck).toMatchObject({
      outcome: 'restore-failed',
      error: expect.stringContaining('logic_instance'),
    });
    expect(failures).toEqual([
      expect.objectContaining({ id: ids.full, reason: job.report.error, tables: expect.arrayContaining(['logic']) }),
    ]);
    expect(await hasScratch(pair.primary)).toBe(false);
    // The earlier success of the newest chain stays the newest restore-verified backup.
    const ready = await request(t.server).get('/health/ready');
    expect(ready.body.info.backup.newestRestoreVerifiedId).toBe(ids.second);
  });

  it('answers 409 for a chain without fingerprints and for a backup still running, 404 for an unknown one', async () => {
    const manifestPath = join(backupDir, ids.older, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    delete manifest.verification;
    chmodSync(manifestPath, 0o600);
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    const none = await request(t.server).post(`/api/v1/backups/${ids.older}/test-restore`).set(AUTH).expect(409);
    expect(none.body).toMatchObject({ code: 'TEST_RESTORE_NO_FINGERPRINT' });

    await t.app.get(BackupCatalogService).insertRunning({
      id: '20300101-000000-000F',
      type: 'full',
      parentId: null,
      tag: null,
      engine: 'mysql',
      triggeredBy: 'manual',
      startedAt: new Date(),
    });
    const running = await request(t.server)
      .post('/api/v1/backups/20300101-000000-000F/test-restore')
      .set(AUTH)
      .expect(409);
    expect(running.body.message).toContain('is running');
    await request(t.server).post('/api/v1/backups/20300101-000001-000F/test-restore').set(AUTH).expect(404);
  });
});
