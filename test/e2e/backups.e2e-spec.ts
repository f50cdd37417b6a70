import request from 'supertest';
import { TestRestoreScheduler } from '../../src/backup/test-restore/test-restore.scheduler';
import { ADMIN_TOKEN, AUTH, takeBackup } from '../support/backup-api';
import { type TestApp, startTestApp } from '../support/test-app';

/** Every backup route with bad input: a 4xx naming the field, and nothing started or written. */
describe('backup routes: bad input', () => {
  let t: TestApp;
  const catalogSize = async () =>
    (await request(t.server).get('/api/v1/backups').set(AUTH).expect(200)).body.items.length;

  beforeAll(async () => {
    t = await startTestApp({ ADMIN_TOKEN, BACKUP_FULL_CRON: 'off', BACKUP_INCREMENTAL_CRON: 'off' });
  });
  afterAll(() => t?.close());

  it('needs the admin token', async () => {
    await request(t.server).get('/api/v1/backups').expect(401);
    await request(t.server).post('/api/v1/backups').send({ type: 'full' }).expect(401);
  });

  it.each([
    [{ type: 'weekly' }, 'type'],
    [{}, 'type'],
    [{ type: 'full', tag: 'has spaces' }, 'tag'],
    [{ type: 'full', tag: 'x'.repeat(129) }, 'tag'],
    [{ type: 'full', extra: true }, 'extra'],
  ])('POST /api/v1/backups %j is a 400 naming %s', async (body, field) => {
    const response = await request(t.server).post('/api/v1/backups').set(AUTH).send(body).expect(400);
    expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await catalogSize()).toBe(0);
  });

  it('an incremental with no full backup is refused with the reason', async () => {
    const response = await request(t.server)
      .post('/api/v1/backups')
      .set(AUTH)
      .send({ type: 'incremental' })
      .expect(409);
    expect(response.body).toMatchObject({
      code: 'BACKUP_NO_FULL_BACKUP',
      message: expect.stringMatching(/take a full backup first/),
    });
    expect(await catalogSize()).toBe(0);
  });

  it.each([
    ['?state=broken', 'state'],
    ['?type=daily', 'type'],
    ['?limit=0', 'limit'],
    ['?limit=abc', 'limit'],
    ['?unknown=1', 'unknown'],
  ])('GET /api/v1/backups%s is a 400 naming %s', async (query, field) => {
    const response = await request(t.server).get(`/api/v1/backups${query}`).set(AUTH).expect(400);
    expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('GET and verify of a malformed id are 400, of an unknown id 404', async () => {
    const malformed = await request(t.server).get('/api/v1/backups/latest').set(AUTH).expect(400);
    expect(malformed.body.details[0].field).toBe('id');
    await request(t.server).post('/api/v1/backups/..%2Fetc/verify').set(AUTH).expect(400);
    const unknown = await request(t.server).get('/api/v1/backups/20261127-020000-000F').set(AUTH).expect(404);
    expect(unknown.body.code).toBe('BACKUP_NOT_FOUND');
    await request(t.server).post('/api/v1/backups/20261127-020000-000F/verify').set(AUTH).expect(404);
  });

  it.each([
    [{ target: '/tmp/x.sqlite' }, 'backupId'],
    [{ backupId: 'nope', target: '/tmp/x.sqlite' }, 'backupId'],
    [{ backupId: '20261127-020000-000F' }, 'target'],
    [{ backupId: '20261127-020000-000F', target: '/tmp/x.sqlite', force: 'yes' }, 'force'],
    [{ backupId: '20261127-020000-000F', target: '/tmp/x.sqlite', configsTo: 'relative/dir' }, 'configsTo'],
    [{ backupId: '20261127-020000-000F', target: '/tmp/x.sqlite', dryRun: 1 }, 'dryRun'],
  ])('POST /api/v1/backups/restore %j is a 400 naming %s', async (body, field) => {
    const response = await request(t.server).post('/api/v1/backups/restore').set(AUTH).send(body).expect(400);
    expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('a restore of an unknown backup is 404; a bad point names `to`', async () => {
    const unknown = await request(t.server)
      .post('/api/v1/backups/restore')
      .set(AUTH)
      .send({ backupId: '20261127-020000-000F', target: '/tmp/x.sqlite' })
      .expect(404);
    expect(unknown.body.code).toBe('BACKUP_NOT_USABLE');
    const badPoint = await request(t.server)
      .post('/api/v1/backups/restore')
      .set(AUTH)
      .send({ backupId: '20261127-020000-000F', target: '/tmp/x.sqlite', to: 'yesterday' })
      .expect(400);
    expect(badPoint.body.details).toEqual({ field: 'to' });
  });

  it('GET of a restore job: malformed id 400, unknown 404', async () => {
    await request(t.server).get('/api/v1/backups/restores/abc').set(AUTH).expect(400);
    const unknown = await request(t.server).get('/api/v1/backups/restores/restore-1795745400000').set(AUTH).expect(404);
    expect(unknown.body.code).toBe('RESTORE_NOT_FOUND');
  });

  it('expire and catalog rebuild refuse unknown or mistyped fields', async () => {
    const expire = await request(t.server)
      .post('/api/v1/backups/expire')
      .set(AUTH)
      .send({ dryRun: 'maybe' })
      .expect(400);
    expect(expire.body.details[0].field).toBe('dryRun');
    await request(t.server).post('/api/v1/backups/expire').set(AUTH).send({ keep: 3 }).expect(400);
    const dry = await request(t.server).post('/api/v1/backups/expire').set(AUTH).send({ dryRun: true }).expect(200);
    expect(dry.body).toEqual({ dryRun: true, expire: [], keptFulls: [] });
    const rebuilt = await request(t.server).post('/api/v1/backups/catalog/rebuild').set(AUTH).expect(200);
    expect(rebuilt.body).toEqual({
      inserted: [],
      updated: [],
      incomplete: [],
      corrupt: [],
      missing: [],
      keyProblems: [],
    });
  });

  it('test-restore: a malformed id is a 400 naming id, an unknown one 404; its job route too', async () => {
    const malformed = await request(t.server).post('/api/v1/backups/latest/test-restore').set(AUTH).expect(400);
    expect(malformed.body.details[0].field).toBe('id');
    const unknown = await request(t.server)
      .post('/api/v1/backups/20261127-020000-000F/test-restore')
      .set(AUTH)
      .expect(404);
    expect(unknown.body.code).toBe('BACKUP_NOT_FOUND');
    const job = await request(t.server).get('/api/v1/backups/test-restores/restore-1').set(AUTH).expect(400);
    expect(job.body.details[0].field).toBe('id');
    const missing = await request(t.server)
      .get('/api/v1/backups/test-restores/test-restore-1795745400000')
      .set(AUTH)
      .expect(404);
    expect(missing.body.code).toBe('TEST_RESTORE_NOT_FOUND');
  });

  it('test-restore on SQLite: the route answers 409 naming the reason; the schedule skips with it', async () => {
    const full = await takeBackup(t, 'full');
    const refused = await request(t.server).post(`/api/v1/backups/${full.id}/test-restore`).set(AUTH).expect(409);
    expect(refused.body).toMatchObject({
      code: 'TEST_RESTORE_UNSUPPORTED',
      message: expect.stringContaining('SQLite'),
    });
    expect(await t.app.get(TestRestoreScheduler).tick()).toEqual({
      status: 'skipped',
      reason: expect.stringContaining('SQLite'),
    });
    const { body } = await request(t.server).get(`/api/v1/backups/${full.id}`).set(AUTH).expect(200);
    expect(body.restoreCheck).toBeNull();
  });
});

describe('GET /api/v1/backups/status', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ADMIN_TOKEN, BACKUP_FULL_CRON: 'off', BACKUP_INCREMENTAL_CRON: 'off' });
  });
  afterAll(() => t?.close());

  it('needs the admin token', async () => {
    await request(t.server).get('/api/v1/backups/status').expect(401);
  });

  it('answers nulls with no backup yet (and is not taken for a backup id)', async () => {
    const { body } = await request(t.server).get('/api/v1/backups/status').set(AUTH).expect(200);
    expect(body).toEqual({
      newestVerifiedId: null,
      newestVerifiedAgeSeconds: null,
      newestSucceededId: null,
      newestSucceededAgeSeconds: null,
      newestRestoreVerifiedId: null,
      newestRestoreVerifiedAgeSeconds: null,
      newestRestoreVerifiedAt: null,
      running: null,
      pitr: null,
      encryption: { cipher: 'none', currentKeyId: null },
    });
  });

  it('after a backup, names it with its age; the same summary as readiness', async () => {
    const full = await takeBackup(t, 'full');
    const { body } = await request(t.server).get('/api/v1/backups/status').set(AUTH).expect(200);
    expect(body).toMatchObject({ newestSucceededId: full.id, newestSucceededAgeSeconds: expect.any(Number) });
    expect(body.newestRestoreVerifiedId).toBeNull();
    // One full is a whole chain: the window is that full's end alone (a restore reaches exactly it).
    expect(body.pitr).toEqual({
      from: full.finishedAt,
      to: full.finishedAt,
      seconds: 0,
      endAgeSeconds: expect.any(Number),
    });
    const ready = await request(t.server).get('/health/ready');
    expect(Object.keys(ready.body.info?.backup ?? ready.body.details?.backup).sort()).toEqual(
      ['status', ...Object.keys(body)].sort(),
    );
  });
});
