import { writeFile } from 'node:fs/promises';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AtomicFileWriter } from '../../src/config-store/file/atomic-file-writer';
import { type TestApp, startTestApp } from '../support/test-app';

const ADMIN = 'storage-full-admin-token';
const admin = { Authorization: `Bearer ${ADMIN}` };
const QUIET = { INSTANCE_LONG_RUNNING_CRON: 'off', INSTANCE_RETRY_CRON: 'off', INSTANCE_CLEANUP_CRON: 'off' };
const BIG_CONFIG = { nodes: [{ id: 'start' }], payload: 'x'.repeat(64 * 1024) };

/**
 * A full disk answers 507 STORAGE_FULL naming the path, on every route that writes. Without
 * root no file system can be filled here, so the two real errors are produced otherwise:
 * SQLite's own SQLITE_FULL by capping the database at its current size (max_page_count),
 * and the kernel's ENOSPC by pointing the file writer at /dev/full.
 */
describe('a full disk', () => {
  let t: TestApp;
  let sqlitePath: string;

  beforeAll(async () => {
    t = await startTestApp({ ADMIN_TOKEN: ADMIN, ...QUIET });
    sqlitePath = (t.config.database as { sqlitePath: string }).sqlitePath;
  });
  afterAll(() => t?.close());

  describe('under the database', () => {
    let db: DataSource;
    beforeAll(async () => {
      db = t.app.get(DataSource);
      const [{ page_count: pages }] = await db.query<{ page_count: number }[]>('PRAGMA page_count');
      await db.query(`PRAGMA max_page_count = ${pages}`);
    });
    afterAll(() => db.query('PRAGMA max_page_count = 1073741823'));

    it('answers a publish with 507 STORAGE_FULL naming the SQLite file, and publishes nothing', async () => {
      const response = await request(t.server)
        .post('/api/v1/configs/big-flow/publish')
        .set(admin)
        .send({ version: '1', config: BIG_CONFIG })
        .expect(507);
      expect(response.body).toEqual({
        statusCode: 507,
        code: 'STORAGE_FULL',
        message: `No space left to write ${sqlitePath} (SQLITE_FULL); free space on that file system (or raise its quota), then retry`,
        details: { path: sqlitePath, errno: 'SQLITE_FULL' },
      });
      expect(await db.query("SELECT id FROM logic_bak WHERE id = 'big-flow'")).toEqual([]);
    });

    it('answers an instance start with 507 STORAGE_FULL naming the SQLite file', async () => {
      const response = await request(t.server)
        .post('/api/v1/instances/start')
        .set(admin)
        .send({ logicId: 'big-flow', bizId: 'order-1', paramsJson: JSON.stringify({ p: 'p'.repeat(60_000) }) })
        .expect(507);
      expect(response.body).toMatchObject({ code: 'STORAGE_FULL', details: { path: sqlitePath } });
    });
  });

  describe('under the config files', () => {
    let restore: () => void;
    beforeAll(() => {
      // The port's real write, to a device that always answers ENOSPC.
      const spy = jest
        .spyOn(t.app.get(AtomicFileWriter), 'write')
        .mockImplementation((_path, content) => writeFile('/dev/full', content));
      restore = () => spy.mockRestore();
    });
    afterAll(() => restore());

    it('answers PUT …/file with 507 STORAGE_FULL naming the config file', async () => {
      const response = await request(t.server)
        .put('/api/v1/configs/big-flow/file')
        .set(admin)
        .send({ config: BIG_CONFIG })
        .expect(507);
      const path = `${t.config.dataDir}/configs/logics/big-flow.json`;
      expect(response.body).toMatchObject({ code: 'STORAGE_FULL', details: { path, errno: 'ENOSPC' } });
      expect(response.body.message).toContain(path);
    });
  });
});
