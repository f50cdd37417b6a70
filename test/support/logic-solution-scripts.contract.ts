import { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../../src/config/app-config';
import { MIGRATIONS_TABLE, buildDataSourceOptions } from '../../src/database/data-source-options.factory';
import { type TableShape, inspectSchema } from '../../src/database/schema-inspector';
import {
  type LogicSolutionEngine as EngineName,
  buildLogicSolutionDatabase,
  logicSolutionBuilds,
  logicSolutionRows,
} from './logic-solution-scripts';
import { expectedSchema } from './logic-solution-schema.fixture';
import { comparable } from './migration-contract';

export interface LogicSolutionEngine {
  /** A new, empty database on the engine under test. */
  freshDatabase(): Promise<DatabaseConfig>;
}

/** A column's comment, collation and declared type, where the engine keeps them (MariaDB/MySQL). */
async function columnDetails(ds: DataSource, table: string, column: string) {
  const [row] = await ds.query(
    `SELECT COLUMN_COMMENT AS comment, COLLATION_NAME AS collation, COLUMN_TYPE AS type FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`,
    [table, column],
  );
  return row;
}

/** The primary key each table's rows are read back in order of. */
const ROW_KEYS: Record<string, string> = {
  logic: 'id',
  logic_bak: 'aid',
  logic_instance: 'id',
  logic_log: 'id',
  logic_published: 'id',
};

/** A fresh install may order columns differently than upgrades do: compare them by name. */
export function columnsByName(schema: TableShape[]): TableShape[] {
  return schema.map((table) => ({
    ...table,
    columns: [...table.columns].sort((a, b) => a.name.localeCompare(b.name)),
  }));
}

/** logic-solution's install scripts, on every version, build the documented schema and hold its rows. */
export function describeLogicSolutionScripts(engineName: EngineName, engine: () => LogicSolutionEngine): void {
  describe.each(logicSolutionBuilds(engineName).map((build) => [build.name, build] as const))(
    "logic-solution's %s",
    (_name, build) => {
      const version = build.version;
      let ds: DataSource;
      beforeAll(async () => {
        const options = buildDataSourceOptions({
          database: await engine().freshDatabase(),
          runMigrationsOnInit: false,
        });
        ds = await new DataSource({ ...options, logging: false }).initialize();
        await buildLogicSolutionDatabase(ds, build);
      });
      afterAll(() => ds?.destroy());

      it('builds the schema of the notes, without a migrations table', async () => {
        expect(columnsByName(await inspectSchema(ds))).toEqual(columnsByName(expectedSchema(version, engineName)));
        const queryRunner = ds.createQueryRunner();
        try {
          expect(await queryRunner.hasTable(MIGRATIONS_TABLE)).toBe(false);
        } finally {
          await queryRunner.release();
        }
      });

      if (engineName === 'mysql') {
        it('carries what a Navicat export carries: comments, unicode_ci collations, tinyint(1)', async () => {
          expect(await columnDetails(ds, 'logic_instance', 'isOver')).toEqual({
            comment: '是否结束',
            collation: null,
            type: 'tinyint(1)',
          });
          expect(await columnDetails(ds, 'logic_log', 'bizId')).toEqual({
            comment: '业务ID',
            collation: 'utf8mb4_unicode_ci',
            type: 'varchar(36)',
          });
        });
      }

      it('reads back every seeded row unchanged', async () => {
        const seeded = logicSolutionRows(version);
        expect(Object.keys(seeded).sort()).toEqual(Object.keys(ROW_KEYS));
        for (const [table, key] of Object.entries(ROW_KEYS)) {
          const rows: Record<string, unknown>[] = await ds.query(`SELECT * FROM \`${table}\` ORDER BY \`${key}\``);
          expect({ table, rows: rows.map(comparable) }).toEqual({ table, rows: seeded[table].map(comparable) });
        }
      });

      it('refreshes updateTime and serverTime on update, as ON UPDATE CURRENT_TIMESTAMP does', async () => {
        await ds.query("UPDATE `logic` SET `name` = 'Order flow v2' WHERE `id` = 'logic-order'");
        await ds.query(
          "UPDATE `logic_instance` SET `isRunning` = 0 WHERE `id` = '5f0c6a8e-0b1d-4c53-9d1e-000000000002'",
        );
        const [logic] = (await ds.query("SELECT `updateTime` FROM `logic` WHERE `id` = 'logic-order'")).map(comparable);
        const [instance] = (
          await ds.query(
            "SELECT `serverTime` FROM `logic_instance` WHERE `id` = '5f0c6a8e-0b1d-4c53-9d1e-000000000002'",
          )
        ).map(comparable);
        const timestamp = expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
        expect(logic.updateTime).toEqual(timestamp);
        expect(logic.updateTime).not.toBe('2026-01-01 09:00:00.000');
        expect(instance.serverTime).toEqual(timestamp);
      });
    },
  );
}
