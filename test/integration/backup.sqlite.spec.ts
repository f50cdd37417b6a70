import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ADMIN_TOKEN, AUTH, restoreThroughApi, takeBackup, waitForBackup } from '../support/backup-api';
import { type TestApp, startTestApp } from '../support/test-app';

/** The embedded default: SQLite online backup + page deltas, the same story as on MariaDB. */
describe('backups on SQLite: full + incrementals, verify, restore, retention, catalog rebuild', () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'logic-ha-sqlite-backups-'));
  const restoreDir = mkdtempSync(join(tmpdir(), 'logic-ha-sqlite-restores-'));
  let t: TestApp;
  const backups: Record<string, string> = {};
  const states: Record<string, string> = {};

  const db = () => t.app.get(DataSource);
  const liveRows = async () =>
    JSON.stringify(await db().query('SELECT id, logicId, bizId, isOver, retryTimes FROM logic_instance ORDER BY id'));
  const restoredRows = (path: string) => {
    const restored = new Database(path, { readonly: true });
    try {
      return JSON.stringify(
        restored.prepare('SELECT id, logicId, bizId, isOver, retryTimes FROM logic_instance ORDER BY id').all(),
      );
    } finally {
      restored.close();
    }
  };

  beforeAll(async () => {
    t = await startTestApp({
      ADMIN_TOKEN,
      BACKUP_DIR: backupDir,
      BACKUP_FULL_CRON: 'off',
      BACKUP_INCREMENTAL_CRON: 'off',
      BACKUP_RETAIN_FULL: '1',
    });
    mkdirSync(join(t.config.dataDir, 'configs', 'logics'), { recursive: true });
    writeFileSync(join(t.config.dataDir, 'configs', 'logics', 'logic-1.json'), '{"config":"v1"}');
  });
  afterAll(async () => {
    await t?.close();
    rmSync(backupDir, { recursive: true, force: true });
    rmSync(restoreDir, { recursive: true, force: true });
  });

  it('takes a full and two incrementals; each incremental stores only changed pages', async () => {
    await db().query(
      `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 3000)
       INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes) SELECT 'i' || n, 'L1', 'B' || n, 0, 0 FROM seq`,
    );
    const full = await takeBackup(t, 'full');
    expect(full).toMatchObject({ engine: 'sqlite', type: 'full', fileCount: 3 });
    backups.full = full.id;
    states.full = await liveRows();

    await db().query(`UPDATE logic_instance SET isOver = 1, retryTimes = 2 WHERE id IN ('i1', 'i2')`);
    await db().query(`DELETE FROM logic_instance WHERE id = 'i3'`);
    await db().query(
      `INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes) VALUES ('j1', 'L2', 'C1', 0, 0)`,
    );
    const first = await takeBackup(t, 'incremental');
    expect(first.parentId).toBe(backups.full);
    backups.first = first.id;
    states.first = await liveRows();
    const manifest = (id: string) => JSON.parse(readFileSync(join(backupDir, id, 'manifest.json'), 'utf8'));
    const delta = manifest(first.id).files.find((f: { role: string }) => f.role === 'delta');
    const database = manifest(full.id).files.find((f: { role: string }) => f.role === 'database');
    expect(delta.rawBytes).toBeLessThan(database.rawBytes / 5);

    await db().query(`DELETE FROM logic_instance WHERE id LIKE 'i1%'`);
    await db().query(`UPDATE logic_instance SET retryTimes = 9 WHERE id = 'i500'`);
    const second = await takeBackup(t, 'incremental');
    expect(second.parentId).toBe(backups.first);
    backups.second = second.id;
    states.second = await liveRows();
    expect(new Set([states.full, states.first, states.second]).size).toBe(3);
  });

  it('restores the latest point byte for byte, with the config files', async () => {
    const path = join(restoreDir, 'latest.sqlite');
    const configsTo = join(restoreDir, 'configs');
    const job = await restoreThroughApi(t, { backupId: backups.second, target: path, configsTo });
    expect(job.error).toBeNull();
    expect(restoredRows(path)).toEqual(states.second);
    expect(job.result.rowCounts.logic_instance).toBe(JSON.parse(states.second).length);
    expect(readFileSync(join(configsTo, 'logics', 'logic-1.json'), 'utf8')).toBe('{"config":"v1"}');
  });

  it('restores a time between the incrementals to the backup boundary before it', async () => {
    const first = (await request(t.server).get(`/api/v1/backups/${backups.first}`).set(AUTH).expect(200)).body;
    const between = new Date(Date.parse(first.finishedAt) + 1).toISOString();
    const path = join(restoreDir, 'between.sqlite');
    const job = await restoreThroughApi(t, { backupId: backups.second, target: path, to: between });
    expect(job.result.chain).toEqual([backups.full, backups.first]);
    expect(restoredRows(path)).toEqual(states.first);
  });

  it('refuses a GTID point, a relative path and an existing file unless forced', async () => {
    const gtid = await request(t.server)
      .post('/api/v1/backups/restore')
      .set(AUTH)
      .send({ backupId: backups.second, target: join(restoreDir, 'x.sqlite'), to: '0-1-5' })
      .expect(409);
    expect(gtid.body.code).toBe('RESTORE_POINT_NOT_COVERED');
    const relative = await request(t.server)
      .post('/api/v1/backups/restore')
      .set(AUTH)
      .send({ backupId: backups.second, target: 'x.sqlite' })
      .expect(400);
    expect(relative.body.details).toEqual({ field: 'target' });
    const exists = await request(t.server)
      .post('/api/v1/backups/restore')
      .set(AUTH)
      .send({ backupId: backups.second, target: join(restoreDir, 'latest.sqlite') })
      .expect(409);
    expect(exists.body.code).toBe('RESTORE_TARGET_NOT_EMPTY');
    const live = await request(t.server)
      .post('/api/v1/backups/restore')
      .set(AUTH)
      .send({
        backupId: backups.second,
        target: t.config.database.type === 'sqlite' ? t.config.database.sqlitePath : '',
        force: true,
      })
      .expect(409);
    expect(live.body.code).toBe('RESTORE_TARGET_REFUSED');
    const forced = await restoreThroughApi(t, {
      backupId: backups.full,
      target: join(restoreDir, 'latest.sqlite'),
      force: true,
    });
    expect(restoredRows(join(restoreDir, 'latest.sqlite'))).toEqual(states.full);
    expect(forced.state).toBe('succeeded');
  });

  it('answers a second trigger while one runs with 409', async () => {
    const [a, b] = await Promise.all([
      request(t.server).post('/api/v1/backups').set(AUTH).send({ type: 'incremental' }),
      request(t.server).post('/api/v1/backups').set(AUTH).send({ type: 'incremental' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    const accepted = a.status === 202 ? a : b;
    expect((await waitForBackup(t, accepted.body.id)).state).toBe('succeeded');
    backups.third = accepted.body.id;
  });

  it('a flipped byte fails verify and restore; the catalog marks the backup failed', async () => {
    const path = join(backupDir, backups.first, 'delta.bin.gz');
    const original = readFileSync(path);
    const damaged = Buffer.from(original);
    damaged[10] ^= 0x01;
    writeFileSync(path, damaged);
    const verify = await request(t.server).post(`/api/v1/backups/${backups.second}/verify`).set(AUTH).expect(200);
    expect(verify.body.ok).toBe(false);
    expect(verify.body.problems).toEqual([
      expect.stringMatching(new RegExp(`^${backups.first}/delta.bin.gz: sha256 is`)),
    ]);
    const job = await restoreThroughApi(t, { backupId: backups.second, target: join(restoreDir, 'damaged.sqlite') });
    expect(job).toMatchObject({ state: 'failed', error: { code: 'BACKUP_CORRUPT' } });
    expect(existsSync(join(restoreDir, 'damaged.sqlite'))).toBe(false);
    writeFileSync(path, original);
  });

  it('a successful full applies retention: the newest full and the newest verified one stay; incrementals behind a damaged link go', async () => {
    const before = await request(t.server).post('/api/v1/backups/expire').set(AUTH).send({ dryRun: true }).expect(200);
    // The first incremental was found damaged: the two incrementals after it no longer reach a usable full.
    expect(before.body.expire.map((e: { id: string }) => e.id).sort()).toEqual([backups.second, backups.third].sort());
    expect(existsSync(join(backupDir, backups.second))).toBe(true);

    const second = await takeBackup(t, 'full');
    // BACKUP_RETAIN_FULL=1 keeps the new full; the first full was verified by the previous test, so it stays too.
    const after = await request(t.server).post('/api/v1/backups/expire').set(AUTH).send({ dryRun: true }).expect(200);
    expect(after.body).toEqual({ dryRun: true, expire: [], keptFulls: [second.id, backups.full] });
    expect(existsSync(join(backupDir, backups.second))).toBe(false);
    expect(existsSync(join(backupDir, backups.full))).toBe(true);
    const expired = await request(t.server).get('/api/v1/backups?state=expired').set(AUTH).expect(200);
    expect(expired.body.items.map((b: { id: string }) => b.id).sort()).toEqual([backups.second, backups.third].sort());
    backups.secondFull = second.id;
  });

  it('rebuilds the catalog from storage after the catalog rows are gone', async () => {
    await db().query('DELETE FROM logic_ha_backup');
    const { body } = await request(t.server).post('/api/v1/backups/catalog/rebuild').set(AUTH).expect(200);
    // Storage holds both fulls and the first incremental (repaired since; retention leaves failed rows alone).
    expect(body.inserted.sort()).toEqual([backups.full, backups.first, backups.secondFull].sort());
    expect(body.corrupt).toEqual([]);
    const listed = await request(t.server).get('/api/v1/backups').set(AUTH).expect(200);
    expect(listed.body.items.map((b: { id: string }) => b.id)).toEqual([
      backups.secondFull,
      backups.first,
      backups.full,
    ]);
    expect(listed.body.items.map((b: { triggeredBy: string }) => b.triggeredBy)).toEqual([
      'manual',
      'manual',
      'manual',
    ]);
  });
});
