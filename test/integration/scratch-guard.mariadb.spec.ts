import type { AppConfig } from '../../src/config/app-config';
import type { MysqlEndpoint } from '../../src/config/mysql-url';
import { ScratchDatabases } from '../../src/backup/test-restore/scratch-database';
import { resolveScratchTarget } from '../../src/backup/test-restore/scratch-target';
import { MariaDbServer } from '../support/mariadb';

const DB = 'logic_ha';

/**
 * The scratch target's guard on a real server: the same server reached by another host name
 * is recognised by its identity, and nothing logic-ha did not create is ever dropped.
 */
describe('test restore scratch guard on MariaDB', () => {
  let server: MariaDbServer;
  let app: MysqlEndpoint;
  const scratch = new ScratchDatabases();

  const configWith = (url: MysqlEndpoint) =>
    ({
      database: { type: 'mysql', primary: app, standbys: [] },
      backup: { testRestoreTarget: url },
      monitorAccount: null,
    }) as unknown as AppConfig;
  const root = (database: string): MysqlEndpoint => ({ ...app, user: 'root', password: '', database });
  const rows = async (sql: string) => server.query<Record<string, unknown>[]>(sql);

  beforeAll(async () => {
    server = await MariaDbServer.start({ serverId: 1 });
    app = await server.createDatabaseWithUser(DB, 'app', 'app-password');
    await server.query(`CREATE TABLE ${DB}.logic (id int primary key); INSERT INTO ${DB}.logic VALUES (1), (2);`);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a URL naming the primary by another alias with the app database; live data intact', async () => {
    const target = resolveScratchTarget(configWith({ ...root(DB), host: 'localhost' }));
    await expect(scratch.prepare(target)).rejects.toMatchObject({
      code: 'RESTORE_TARGET_REFUSED',
      message: expect.stringMatching(/BACKUP_TEST_RESTORE_URL .*the service's own live database/),
    });
    expect(await rows(`SELECT id FROM ${DB}.logic ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('on the primary by an alias with another database: logged out of the binlog, created with the marker', async () => {
    const target = resolveScratchTarget(configWith({ ...root('other_scratch'), host: 'localhost' }));
    const ready = await scratch.prepare(target);
    expect(ready.unlogged).toBe(true);
    expect(
      await rows(`SELECT SCHEMA_COMMENT AS c FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'other_scratch'`),
    ).toEqual([{ c: 'logic-ha test-restore scratch' }]);
    await scratch.drop(ready);
    expect(await rows(`SHOW DATABASES LIKE 'other_scratch'`)).toEqual([]);
  });

  it("refuses to drop an existing non-empty database without the marker (another application's), untouched", async () => {
    await server.query(`CREATE DATABASE shop; CREATE TABLE shop.orders (id int); INSERT INTO shop.orders VALUES (7);`);
    const target = resolveScratchTarget(configWith(root('shop')));
    await expect(scratch.prepare(target)).rejects.toMatchObject({
      code: 'RESTORE_TARGET_REFUSED',
      message: expect.stringMatching(/shop .*will not drop a database it did not create/),
    });
    await expect(scratch.drop(target)).rejects.toThrow(/will not drop a database it did not create/);
    expect(await rows('SELECT id FROM shop.orders')).toEqual([{ id: 7 }]);
  });

  it('replaces a marked leftover, and an empty database, with a fresh marked one', async () => {
    await server.query(
      `CREATE DATABASE marked COMMENT 'logic-ha test-restore scratch'; CREATE TABLE marked.leftover (x int);
       CREATE DATABASE empty_one;`,
    );
    for (const name of ['marked', 'empty_one']) {
      await scratch.prepare(resolveScratchTarget(configWith(root(name))));
      const tables = await rows(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${name}'`);
      expect(tables).toEqual([]);
      expect(
        await rows(`SELECT SCHEMA_COMMENT AS c FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${name}'`),
      ).toEqual([{ c: 'logic-ha test-restore scratch' }]);
    }
  });
});
