import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { BackupScheduler } from '../../src/backup/backup.scheduler';
import { ADMIN_TOKEN, AUTH, nextSecond, restoreThroughApi, takeBackup, waitForBackup } from '../support/backup-api';
import { MariaDbServer } from '../support/mariadb';
import { type TestApp, startTestApp } from '../support/test-app';

const DB = 'logic_ha';

describe('backups on a private MariaDB: full + incrementals, verify, point-in-time restore', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let t: TestApp;
  // Outside the app's working directory, which is removed when the app closes.
  const backupDir = mkdtempSync(join(tmpdir(), 'logic-ha-backups-'));
  const backups: Record<string, string> = {};

  const rows = (server: MariaDbServer, database: string) =>
    server.query<Record<string, unknown>[]>(
      `SELECT id, logicId, bizId, isOver, retryTimes FROM \`${database}\`.logic_instance ORDER BY id`,
    );
  const logics = (server: MariaDbServer, database: string) =>
    server.query<Record<string, unknown>[]>(`SELECT id, name, version FROM \`${database}\`.logic ORDER BY id`);
  const targetUrl = (database: string) => `mysql://root@127.0.0.1:${target.port}/${database}`;
  const write = (sql: string) => source.query(`USE ${DB}; ${sql}`);

  /** PURGE leaves a file until InnoDB's binlog checkpoint has moved past it: retry briefly. */
  async function purgeAllClosedBinlogs(): Promise<void> {
    await source.query('FLUSH BINARY LOGS');
    const [{ File: current }] = await source.query<{ File: string }[]>('SHOW MASTER STATUS');
    for (let attempt = 0; attempt < 100; attempt++) {
      await source.query(`PURGE BINARY LOGS TO '${current}'`);
      if ((await source.query<unknown[]>('SHOW BINARY LOGS')).length === 1) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the source kept its closed binlogs');
  }

  beforeAll(async () => {
    [source, target] = await Promise.all([
      MariaDbServer.start({ serverId: 41 }),
      MariaDbServer.start({ serverId: 42 }),
    ]);
    const app = await source.createDatabaseWithUser(DB, 'app', 'app-password');
    t = await startTestApp({
      DB_TYPE: 'mysql',
      DB_PRIMARY_URL: `mysql://app:app-password@127.0.0.1:${app.port}/${DB}`,
      DB_ADMIN_USER: 'root',
      ADMIN_TOKEN,
      BACKUP_FULL_CRON: 'off',
      BACKUP_INCREMENTAL_CRON: 'off',
      BACKUP_RETAIN_FULL: '2',
      BACKUP_DIR: backupDir,
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([source?.stop(), target?.stop()]);
    rmSync(backupDir, { recursive: true, force: true });
  });

  it('takes a full and two incrementals with inserts, updates and deletes between them', async () => {
    await write(
      `INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes) SELECT CONCAT('i', seq), 'L1', CONCAT('B', seq), 0, 0 FROM seq_1_to_200;
       INSERT INTO logic (id, name, version) VALUES ('logic-1', 'Orders', '1.0');`,
    );
    const full = await takeBackup(t, 'full');
    expect(full).toMatchObject({ type: 'full', state: 'succeeded', engine: 'mysql', parentId: null, fileCount: 2 });
    backups.full = full.id;

    await write(
      `INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes) VALUES ('j1', 'L2', 'C1', 0, 0), ('j2', 'L2', 'C2', 0, 0);
       UPDATE logic_instance SET isOver = 1, retryTimes = 2 WHERE id IN ('i1', 'i2', 'i3');
       DELETE FROM logic_instance WHERE id IN ('i10', 'i11');
       UPDATE logic SET version = '1.1' WHERE id = 'logic-1';`,
    );
    const first = await takeBackup(t, 'incremental');
    expect(first).toMatchObject({ type: 'incremental', parentId: backups.full });
    backups.first = first.id;

    // Between the incrementals: one change before the restore point, one after it.
    await write(`UPDATE logic_instance SET retryTimes = 7 WHERE id = 'i20';`);
    await nextSecond();
    backups.pointInTime = new Date().toISOString();
    backups.expectedAtPoint = JSON.stringify({ rows: await rows(source, DB), logics: await logics(source, DB) });
    await nextSecond();
    await write(
      `DELETE FROM logic_instance WHERE id LIKE 'i1%';
       INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes) VALUES ('k1', 'L3', 'D1', 1, 0);
       UPDATE logic SET name = 'Orders v2' WHERE id = 'logic-1';`,
    );
    const second = await takeBackup(t, 'incremental');
    expect(second).toMatchObject({ type: 'incremental', parentId: backups.first });
    backups.second = second.id;

    const manifest = JSON.parse(readFileSync(join(t.config.backup.directory, backups.second, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      format: 'logic-ha/backup@1',
      id: backups.second,
      parentId: backups.first,
      engine: 'mysql',
      sourceDatabase: DB,
    });
    expect(manifest.files.map((f: { role: string }) => f.role)).toEqual(['binlog', 'configs']);
    expect(manifest.start).toEqual(
      JSON.parse(readFileSync(join(t.config.backup.directory, backups.first, 'manifest.json'), 'utf8')).end,
    );
  });

  it('a dry run lists the chain it would apply and writes nothing', async () => {
    const { body } = await request(t.server)
      .post('/api/v1/backups/restore')
      .set(AUTH)
      .send({ backupId: backups.second, target: targetUrl('dry'), dryRun: true })
      .expect(200);
    expect(body.chain.map((b: { id: string }) => b.id)).toEqual([backups.full, backups.first, backups.second]);
    expect(await target.query<unknown[]>("SHOW DATABASES LIKE 'dry'")).toEqual([]);
  });

  it('restores the latest point into a fresh server: every row equals the source', async () => {
    const job = await restoreThroughApi(t, { backupId: backups.second, target: targetUrl('restored_latest') });
    expect(job.error).toBeNull();
    expect(job.state).toBe('succeeded');
    expect(await rows(target, 'restored_latest')).toEqual(await rows(source, DB));
    expect(await logics(target, 'restored_latest')).toEqual(await logics(source, DB));
    const [sourceCount] = await source.query<{ n: number }[]>(`SELECT COUNT(*) AS n FROM ${DB}.logic_instance`);
    expect(job.result.rowCounts.logic_instance).toBe(Number(sourceCount.n));
    expect(job.result.chain).toEqual([backups.full, backups.first, backups.second]);
  });

  it('restores a time between the incrementals: the data equals the source at that moment', async () => {
    const job = await restoreThroughApi(t, {
      backupId: backups.second,
      target: targetUrl('restored_mid'),
      to: backups.pointInTime,
    });
    expect(job.error).toBeNull();
    const restored = JSON.stringify({
      rows: await rows(target, 'restored_mid'),
      logics: await logics(target, 'restored_mid'),
    });
    expect(restored).toEqual(backups.expectedAtPoint);
    expect(restored).not.toEqual(JSON.stringify({ rows: await rows(source, DB), logics: await logics(source, DB) }));
  });

  it('refuses a non-empty target unless forced', async () => {
    const refused = await request(t.server)
      .post('/api/v1/backups/restore')
      .set(AUTH)
      .send({ backupId: backups.second, target: targetUrl('restored_latest') })
      .expect(409);
    expect(refused.body.code).toBe('RESTORE_TARGET_NOT_EMPTY');
    const job = await restoreThroughApi(t, {
      backupId: backups.first,
      target: targetUrl('restored_latest'),
      force: true,
    });
    expect(job.state).toBe('succeeded');
    expect((await rows(target, 'restored_latest')).find((row) => row.id === 'k1')).toBeUndefined();
  });

  it('verifies a chain, and readiness reports the newest verified backup', async () => {
    const { body } = await request(t.server).post(`/api/v1/backups/${backups.second}/verify`).set(AUTH).expect(200);
    expect(body).toMatchObject({ ok: true, problems: [] });
    expect(body.chain.map((b: { id: string }) => b.id)).toEqual([backups.full, backups.first, backups.second]);
    const view = await request(t.server).get(`/api/v1/backups/${backups.full}`).set(AUTH).expect(200);
    expect(view.body.verifiedAt).not.toBeNull();
    const ready = await request(t.server).get('/health/ready').expect(200);
    expect(ready.body.info.backup).toMatchObject({ status: 'up', newestVerifiedId: backups.second });
    expect(ready.body.info.backup.newestVerifiedAgeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('answers a second trigger while one runs with 409 naming the running backup', async () => {
    const [a, b] = await Promise.all([
      request(t.server).post('/api/v1/backups').set(AUTH).send({ type: 'full' }),
      request(t.server).post('/api/v1/backups').set(AUTH).send({ type: 'full' }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([202, 409]);
    const [accepted, refused] = a.status === 202 ? [a, b] : [b, a];
    expect(refused.body.code).toBe('BACKUP_ALREADY_RUNNING');
    expect([accepted.body.id, null]).toContain(refused.body.details.runningId);
    expect((await waitForBackup(t, accepted.body.id)).state).toBe('succeeded');
    backups.secondFull = accepted.body.id;
  });

  it('refuses an incremental across a purged binlog gap, and the next scheduled run takes a full', async () => {
    await write(`INSERT INTO logic_instance (id, logicId, bizId, isOver, retryTimes) VALUES ('g1', 'L9', 'G1', 0, 0);`);
    await purgeAllClosedBinlogs();

    const { body } = await request(t.server)
      .post('/api/v1/backups')
      .set(AUTH)
      .send({ type: 'incremental' })
      .expect(202);
    const refused = await waitForBackup(t, body.id);
    expect(refused).toMatchObject({ state: 'failed', error: { code: 'BACKUP_CHAIN_BROKEN' } });
    expect(refused.error.message).toMatch(/not on the server any more .* a full backup is needed/);
    expect(existsSync(join(t.config.backup.directory, body.id))).toBe(false);

    const scheduledId = await t.app.get(BackupScheduler).tick('incremental');
    expect(scheduledId).toMatch(/F$/);
    expect((await waitForBackup(t, scheduledId!)).state).toBe('succeeded');
    backups.afterGap = scheduledId!;
    // The chain continues from the new full.
    expect((await takeBackup(t, 'incremental')).parentId).toBe(backups.afterGap);
  });

  it('a flipped byte in a stored file fails verify and restore', async () => {
    const path = join(
      t.config.backup.directory,
      backups.first,
      JSON.parse(readFileSync(join(t.config.backup.directory, backups.first, 'manifest.json'), 'utf8')).files[0].name,
    );
    const original = readFileSync(path);
    const damaged = Buffer.from(original);
    damaged[Math.floor(damaged.length / 2)] ^= 0xff;
    writeFileSync(path, damaged);

    const verify = await request(t.server).post(`/api/v1/backups/${backups.second}/verify`).set(AUTH).expect(200);
    expect(verify.body.ok).toBe(false);
    expect(verify.body.problems.join(' ')).toContain(`${backups.first}/`);
    expect(verify.body.problems.join(' ')).toMatch(/sha256 is [0-9a-f]{64}, the manifest says/);
    const marked = await request(t.server).get(`/api/v1/backups/${backups.first}`).set(AUTH).expect(200);
    expect(marked.body).toMatchObject({ state: 'failed', error: { code: 'BACKUP_CORRUPT' } });

    const job = await restoreThroughApi(t, { backupId: backups.second, target: targetUrl('never2') });
    expect(job).toMatchObject({ state: 'failed', error: { code: 'BACKUP_CORRUPT' } });
    expect(await target.query<unknown[]>('SHOW TABLES FROM never2').catch(() => [])).toEqual([]);
    writeFileSync(path, original);
  });

  it('retention: a dry run lists what would go; the real run removes it and keeps the newest verified full', async () => {
    const before = (
      await request(t.server).get('/api/v1/backups?state=succeeded').set(AUTH).expect(200)
    ).body.items.map((b: { id: string }) => b.id);
    const dry = await request(t.server).post('/api/v1/backups/expire').set(AUTH).send({ dryRun: true }).expect(200);
    const expiring = dry.body.expire.map((e: { id: string }) => e.id);
    // Kept: the two newest fulls, and the newest verified full (the first one) with its chain.
    expect(dry.body.keptFulls).toEqual([backups.afterGap, backups.secondFull, backups.full]);
    // The first incremental was marked corrupt by verify; the second no longer reaches a usable full.
    expect(expiring).toEqual([backups.second]);
    expect(existsSync(join(t.config.backup.directory, backups.second))).toBe(true);

    const real = await request(t.server).post('/api/v1/backups/expire').set(AUTH).send({}).expect(200);
    expect(real.body.expire.map((e: { id: string }) => e.id)).toEqual(expiring);
    expect(existsSync(join(t.config.backup.directory, backups.second))).toBe(false);
    const after = (await request(t.server).get('/api/v1/backups?state=succeeded').set(AUTH).expect(200)).body.items.map(
      (b: { id: string }) => b.id,
    );
    expect(after).toEqual(before.filter((id: string) => !expiring.includes(id)));
  });

  it('rebuilds the catalog from storage alone after the database was dropped', async () => {
    const stored = (await request(t.server).get('/api/v1/backups?state=succeeded').set(AUTH).expect(200)).body.items
      .map((b: { id: string }) => b.id)
      .sort();
    // The first incremental was found damaged earlier; damage it again, so the rebuild must find it by itself.
    const firstFile = JSON.parse(readFileSync(join(backupDir, backups.first, 'manifest.json'), 'utf8')).files[0].name;
    const damagedPath = join(backupDir, backups.first, firstFile);
    writeFileSync(damagedPath, Buffer.concat([readFileSync(damagedPath), Buffer.from('x')]));
    await t.close();
    await source.query(
      `DROP DATABASE ${DB}; CREATE DATABASE ${DB}; GRANT ALL PRIVILEGES ON ${DB}.* TO 'app'@'127.0.0.1';`,
    );
    t = await startTestApp({
      DB_TYPE: 'mysql',
      DB_PRIMARY_URL: `mysql://app:app-password@127.0.0.1:${source.port}/${DB}`,
      DB_ADMIN_USER: 'root',
      ADMIN_TOKEN,
      BACKUP_DIR: backupDir,
      BACKUP_FULL_CRON: 'off',
      BACKUP_INCREMENTAL_CRON: 'off',
    });
    expect((await request(t.server).get('/api/v1/backups').set(AUTH).expect(200)).body.items).toEqual([]);
    const { body } = await request(t.server).post('/api/v1/backups/catalog/rebuild').set(AUTH).expect(200);
    expect([...body.inserted].sort()).toEqual([...stored, backups.first].sort());
    expect(body.corrupt).toEqual([backups.first]);
    const listed = (await request(t.server).get('/api/v1/backups?state=succeeded').set(AUTH).expect(200)).body.items
      .map((b: { id: string }) => b.id)
      .sort();
    expect(listed).toEqual(stored);
    // Restore works from the rebuilt catalog's storage.
    const job = await restoreThroughApi(t, { backupId: backups.afterGap, target: targetUrl('after_rebuild') });
    expect(job.state).toBe('succeeded');
  });
});
