import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import type { DatabaseConfig } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/data-source-options.factory';
import { inspectSchema } from '../../src/database/schema-inspector';
import { LogicEntity } from '../../src/config-store/entities/logic.entity';
import { LogicBakEntity } from '../../src/config-store/entities/logic-bak.entity';
import { LogicPublishedEntity } from '../../src/config-store/entities/logic-published.entity';
import { LogicInstanceEntity } from '../../src/instances/entities/logic-instance.entity';
import { LogicLogEntity } from '../../src/instances/entities/logic-log.entity';
import { SCHEMA_VERSIONS, expectedSchema, schemaOfMigrationsAt } from './logic-solution-schema.fixture';
import { ENTITIES } from '../../src/entities';

const LATEST = SCHEMA_VERSIONS[SCHEMA_VERSIONS.length - 1];

export interface MigrationEngine {
  /** A new, empty database on the engine under test. */
  freshDatabase(): Promise<DatabaseConfig>;
}

/** A data source that knows only the first `count` migrations, as an older logic-ha would. */
export async function openDataSource(database: DatabaseConfig, count = MIGRATIONS.length): Promise<DataSource> {
  const options = buildDataSourceOptions({ database, runMigrationsOnInit: false, entities: ENTITIES });
  const dataSource = new DataSource({
    ...options,
    migrations: MIGRATIONS.slice(0, count),
    logging: false,
  });
  return dataSource.initialize();
}

async function withDataSource<T>(database: DatabaseConfig, count: number, work: (ds: DataSource) => Promise<T>) {
  const dataSource = await openDataSource(database, count);
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** Values as both engines can be compared: dates to `YYYY-MM-DD HH:MM:SS.mmm` (UTC), numbers as numbers. */
export function comparable(row: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value instanceof Date) result[key] = value.toISOString().replace('T', ' ').replace('Z', '');
    else if (typeof value === 'string' && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(value)) result[key] = `${value}.000`;
    else if (typeof value === 'string' && /^-?\d+$/.test(value)) result[key] = Number(value);
    else result[key] = value;
  }
  return result;
}

const BIG_RETURN_DATA = 'r'.repeat(100_000); // longer than a MySQL TEXT column can hold

/** Rows as logic-solution 0.6.2 wrote them (no createTime, retryTimes, isAsync yet). */
const BASELINE_ROWS: Record<string, Record<string, unknown>[]> = {
  logic: [
    {
      id: 'logic-1',
      name: 'Order flow',
      version: '1.0.0',
      module: 'orders',
      configJson: '{"nodes":[]}',
      updateTime: '2026-01-02 03:04:05',
    },
  ],
  logic_bak: [
    {
      aid: 'aid-1',
      id: 'logic-1',
      name: 'Order flow',
      version: '1.0.0',
      module: 'orders',
      configJson: '{"nodes":[]}',
      updateTime: '2026-01-02 03:04:05',
    },
  ],
  logic_published: [
    {
      id: 7,
      logicId: 'logic-1',
      name: 'Order flow',
      version: '1.0.0',
      module: 'orders',
      configJson: '{}',
      publishTime: '2026-01-02 03:04:05',
      source: 'ide',
      target: 'prod',
    },
  ],
  logic_instance: [
    {
      id: 'inst-1',
      logicId: 'logic-1',
      version: '1.0.0',
      bizId: 'biz-1',
      parentLogicId: null,
      parentBizId: null,
      env: 'prod',
      nextId: 'node-2',
      nextName: 'Approve',
      paramsJson: '{"a":1}',
      varsJson: '{}',
      envsJson: '{}',
      varsJsonEnd: null,
      returnData: BIG_RETURN_DATA,
      message: 'ok',
      messageId: 'm-1',
      success: 1,
      isOver: 1,
      isRunning: 0,
      serverTime: '2026-01-02 03:04:06',
      startTime: '2026-01-02 03:04:05.123',
      stopTime: '2026-01-02 03:04:06.456',
      duration: 1333,
    },
    {
      id: 'inst-2',
      logicId: 'logic-1',
      version: '1.0.0',
      bizId: 'biz-2',
      parentLogicId: 'logic-0',
      parentBizId: 'biz-0',
      env: 'prod',
      nextId: null,
      nextName: null,
      paramsJson: null,
      varsJson: null,
      envsJson: null,
      varsJsonEnd: null,
      returnData: null,
      message: null,
      messageId: null,
      success: null,
      isOver: 0,
      isRunning: 1,
      serverTime: '2026-01-02 03:05:00',
      startTime: '2026-01-02 03:05:00.001',
      stopTime: null,
      duration: null,
    },
  ],
  logic_log: [
    {
      id: 'log-1',
      version: '1.0.0',
      logicId: 'logic-1',
      bizId: 'biz-1',
      nextId: null,
      clientId: 'c-1',
      host: 'runtime-a',
      nextName: null,
      env: 'prod',
      message: 'done',
      messageId: null,
      paramsJson: null,
      varsJson: null,
      varsJsonEnd: null,
      returnData: '{}',
      itemLogs: '[]',
      success: 1,
      isOver: 1,
      serverTime: '2026-01-02 03:04:06.789',
    },
  ],
};

async function insertRows(dataSource: DataSource, rows: Record<string, Record<string, unknown>[]>) {
  for (const [tableName, tableRows] of Object.entries(rows)) {
    for (const row of tableRows) {
      const columns = Object.keys(row);
      // Backticks quote identifiers on MySQL and on SQLite alike.
      await dataSource.query(
        `INSERT INTO \`${tableName}\` (${columns.map((c) => `\`${c}\``).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        Object.values(row),
      );
    }
  }
}

async function selectAll(dataSource: DataSource, tableName: string, key: string) {
  const rows: Record<string, unknown>[] = await dataSource.query(`SELECT * FROM \`${tableName}\` ORDER BY \`${key}\``);
  return rows.map(comparable);
}

/** The schema-history contract every supported engine must meet. */
export function describeMigrationContract(engine: () => MigrationEngine): void {
  it('pairs each migration with the schema version it leaves', () => {
    expect(MIGRATIONS.map((m) => new m().schemaVersion)).toEqual(SCHEMA_VERSIONS);
  });

  it("applies every migration and reaches the schema of logic-solution 0.8's scripts plus logic-ha's tables and indexes", async () => {
    const database = await engine().freshDatabase();
    await withDataSource(database, MIGRATIONS.length, async (ds) => {
      await ds.runMigrations({ transaction: 'each' });
      expect(await inspectSchema(ds)).toEqual(expectedSchema(LATEST, database.type));
    });
  });

  it('steps up one version at a time and back down, matching every version on the way (defaults aligned by ha-4 stay)', async () => {
    const database = await engine().freshDatabase();
    for (const [index, version] of SCHEMA_VERSIONS.entries()) {
      await withDataSource(database, index + 1, async (ds) => {
        await ds.runMigrations({ transaction: 'each' });
        expect({ version, schema: await inspectSchema(ds) }).toEqual({
          version,
          schema: schemaOfMigrationsAt(version, database.type),
        });
      });
    }
    await withDataSource(database, MIGRATIONS.length, async (ds) => {
      for (let index = SCHEMA_VERSIONS.length - 1; index > 0; index--) {
        await ds.undoLastMigration({ transaction: 'each' });
        const version = SCHEMA_VERSIONS[index - 1];
        expect({ version, schema: await inspectSchema(ds) }).toEqual({
          version,
          schema: expectedSchema(version, database.type),
        });
      }
    });
  });

  it('ha-4 run a second time (after its no-op down) changes nothing', async () => {
    const database = await engine().freshDatabase();
    await withDataSource(database, MIGRATIONS.length, async (ds) => {
      await ds.runMigrations({ transaction: 'each' });
      const before = await inspectSchema(ds);
      await ds.undoLastMigration({ transaction: 'each' });
      await ds.runMigrations({ transaction: 'each' });
      expect(await inspectSchema(ds)).toEqual(before);
    });
  });

  it('goes up all, down all (no table left), and up all again', async () => {
    const database = await engine().freshDatabase();
    await withDataSource(database, MIGRATIONS.length, async (ds) => {
      await ds.runMigrations({ transaction: 'each' });
      for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration({ transaction: 'each' });
      expect(await inspectSchema(ds)).toEqual([]);
      expect(await ds.showMigrations()).toBe(true);
      await ds.runMigrations({ transaction: 'each' });
      expect(await inspectSchema(ds)).toEqual(expectedSchema(LATEST, database.type));
      expect(await ds.showMigrations()).toBe(false);
    });
  });

  it('upgrades a filled 0.6.2 database to 0.8 with every row intact and new columns at their defaults', async () => {
    const database = await engine().freshDatabase();
    const before: Record<string, Record<string, unknown>[]> = {};
    await withDataSource(database, 1, async (ds) => {
      await ds.runMigrations({ transaction: 'each' });
      await insertRows(ds, BASELINE_ROWS);
      before.logic_instance = await selectAll(ds, 'logic_instance', 'id');
    });
    await withDataSource(database, MIGRATIONS.length, async (ds) => {
      await ds.runMigrations({ transaction: 'each' });
      const keys: Record<string, string> = { logic: 'id', logic_bak: 'aid', logic_published: 'id', logic_log: 'id' };
      for (const [tableName, key] of Object.entries(keys)) {
        expect(await selectAll(ds, tableName, key)).toEqual(BASELINE_ROWS[tableName].map(comparable));
      }
      const instances = await selectAll(ds, 'logic_instance', 'id');
      expect(instances.map(({ createTime: _created, retryTimes: _retries, isAsync: _async, ...rest }) => rest)).toEqual(
        before.logic_instance,
      );
      for (const instance of instances) {
        expect(instance).toMatchObject({ retryTimes: 0, isAsync: 0 });
        expect(instance.createTime).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/));
      }
    });
  });

  it("a row inserted as logic-solution's runtime does, without the time columns, gets every time from the defaults", async () => {
    const database = await engine().freshDatabase();
    await withDataSource(database, MIGRATIONS.length, async (ds) => {
      await ds.runMigrations({ transaction: 'each' });
      await ds.query(
        "INSERT INTO `logic_instance` (`id`, `logicId`, `bizId`, `version`, `isRunning`) VALUES ('sdk-1', 'l', 'b', '1', 1)",
      );
      await ds.query(
        "INSERT INTO `logic_log` (`id`, `version`, `logicId`, `bizId`) VALUES ('sdk-log-1', '1', 'l', 'b')",
      );
      await ds.query("INSERT INTO `logic_published` (`logicId`, `version`) VALUES ('l', '1')");
      const [instance] = (
        await ds.query("SELECT `serverTime`, `createTime`, `startTime` FROM `logic_instance` WHERE `id` = 'sdk-1'")
      ).map(comparable);
      const [log] = (await ds.query("SELECT `serverTime` FROM `logic_log` WHERE `id` = 'sdk-log-1'")).map(comparable);
      const [published] = (await ds.query("SELECT `publishTime` FROM `logic_published` WHERE `logicId` = 'l'")).map(
        comparable,
      );
      const timestamp = expect.stringMatching(/^20\d\d-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
      expect({ ...instance, ...log, ...published }).toEqual({
        serverTime: timestamp,
        createTime: timestamp,
        startTime: timestamp,
        publishTime: timestamp,
      });
    });
  });

  describe('entities on the migrated schema', () => {
    let ds: DataSource;
    beforeAll(async () => {
      ds = await openDataSource(await engine().freshDatabase());
      await ds.runMigrations({ transaction: 'each' });
    });
    afterAll(() => ds?.destroy());

    it('round-trips a logic instance, with booleans, millisecond times, and database defaults', async () => {
      const repository = ds.getRepository(LogicInstanceEntity);
      await repository.insert({
        id: 'i-1',
        logicId: 'l-1',
        bizId: 'b-1',
        success: false,
        isOver: true,
        isRunning: false,
        startTime: new Date('2026-03-04T05:06:07.891Z'),
        stopTime: new Date('2026-03-04T05:06:09.000Z'),
        duration: 1109,
        returnData: BIG_RETURN_DATA,
      });
      const saved = await repository.findOneByOrFail({ id: 'i-1' });
      expect(saved).toMatchObject({
        success: false,
        isOver: true,
        isRunning: false,
        isAsync: false,
        retryTimes: 0,
        duration: 1109,
        startTime: new Date('2026-03-04T05:06:07.891Z'),
        returnData: BIG_RETURN_DATA,
      });
      expect(saved.createTime).toBeInstanceOf(Date);
      expect(saved.serverTime).toBeInstanceOf(Date);
    });

    it('refreshes serverTime and updateTime on update, as ON UPDATE CURRENT_TIMESTAMP does', async () => {
      await ds.getRepository(LogicInstanceEntity).update({ id: 'i-1' }, { message: 'changed' });
      const instance = await ds.getRepository(LogicInstanceEntity).findOneByOrFail({ id: 'i-1' });
      expect(instance.serverTime).toBeInstanceOf(Date);

      await ds.getRepository(LogicEntity).insert({ id: 'l-1', name: 'n', version: '1', configJson: '{}' });
      await ds.query("UPDATE `logic` SET `updateTime` = '2020-01-01 00:00:00' WHERE `id` = 'l-1'");
      await ds.getRepository(LogicEntity).update({ id: 'l-1' }, { version: '2' });
      const logic = await ds.getRepository(LogicEntity).findOneByOrFail({ id: 'l-1' });
      expect(logic.updateTime!.getTime()).toBeGreaterThan(new Date('2020-01-02T00:00:00Z').getTime());
    });

    it('stores config history, publish history and run logs', async () => {
      await ds.getRepository(LogicBakEntity).insert({ aid: 'a-1', id: 'l-1', version: '1', configJson: '{}' });
      const published = await ds
        .getRepository(LogicPublishedEntity)
        .save({ logicId: 'l-1', version: '1', publishTime: new Date() });
      await ds
        .getRepository(LogicLogEntity)
        .insert({ id: 'r-1', version: '1', logicId: 'l-1', bizId: 'b-1', success: true });
      expect(await ds.getRepository(LogicBakEntity).countBy({ id: 'l-1' })).toBe(1);
      expect(Number(published.id)).toBeGreaterThan(0);
      expect(await ds.getRepository(LogicLogEntity).findOneByOrFail({ id: 'r-1', version: '1' })).toMatchObject({
        success: true,
        isOver: false,
      });
    });
  });
}
