import { DataSource, type MigrationInterface, type QueryRunner, Table } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';
import { SCHEMA_VERSIONS } from '../schema/known-schemas';
import { checksumOf, describeMigrations } from './known-migrations';

describe('checksumOf', () => {
  const CREATE = { sql: 'CREATE TABLE "a" ("id" integer, "name" varchar(20))' };
  const DROP = { sql: 'DROP TABLE "a"' };

  it('is a SHA-256 hex digest', () => {
    expect(checksumOf([CREATE], [DROP])).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not change when only whitespace does (re-indenting, line breaks, tabs, leading/trailing space)', () => {
    const reindented = { sql: '\n    CREATE   TABLE "a"\n\t("id" integer,\n      "name" varchar(20))  \n' };
    expect(checksumOf([reindented], [{ sql: '  DROP\tTABLE "a"\n' }])).toBe(checksumOf([CREATE], [DROP]));
  });

  it('treats absent parameters as no parameters', () => {
    expect(checksumOf([{ ...CREATE, parameters: [] }], [DROP])).toBe(checksumOf([CREATE], [DROP]));
  });

  it('changes when the SQL text changes', () => {
    const edited = { sql: 'CREATE TABLE "a" ("id" integer, "name" varchar(30))' };
    expect(checksumOf([edited], [DROP])).not.toBe(checksumOf([CREATE], [DROP]));
  });

  it('changes when whitespace is added inside a word (it is not ignored, only collapsed)', () => {
    expect(checksumOf([{ sql: 'CREATE TABLE "a" ("id" int eger, "name" varchar(20))' }], [DROP])).not.toBe(
      checksumOf([CREATE], [DROP]),
    );
  });

  it('changes when a parameter changes', () => {
    const insert = (value: unknown) => ({ sql: 'INSERT INTO "a" ("id") VALUES (?)', parameters: [value] });
    expect(checksumOf([insert(1)], [])).not.toBe(checksumOf([insert(2)], []));
    expect(checksumOf([insert(1)], [])).not.toBe(checksumOf([insert('1')], []));
    expect(checksumOf([insert(1)], [])).not.toBe(checksumOf([{ sql: 'INSERT INTO "a" ("id") VALUES (?)' }], []));
  });

  it('changes when down() changes', () => {
    expect(checksumOf([CREATE], [{ sql: 'DROP TABLE IF EXISTS "a"' }])).not.toBe(checksumOf([CREATE], [DROP]));
    expect(checksumOf([CREATE], [])).not.toBe(checksumOf([CREATE], [DROP]));
  });

  it('changes when statements are reordered, split, or moved between up() and down()', () => {
    const second = { sql: 'CREATE INDEX "i" ON "a" ("id")' };
    const base = checksumOf([CREATE, second], [DROP]);
    expect(checksumOf([second, CREATE], [DROP])).not.toBe(base);
    expect(checksumOf([{ sql: `${CREATE.sql}; ${second.sql}` }], [DROP])).not.toBe(base);
    expect(checksumOf([CREATE], [second, DROP])).not.toBe(base);
  });
});

// Inline migrations: plain SQL through queryRunner.query(), as this repository's migrations are written.
class CreatedWidgets1700000000000 implements MigrationInterface {
  readonly schemaVersion = 'w-2';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE "widget" ("id" integer PRIMARY KEY, "engine" varchar(20))');
    await queryRunner.query('INSERT INTO "widget" ("id", "engine") VALUES (?, ?)', [
      1,
      queryRunner.connection.options.type,
    ]);
    await queryRunner.query('CREATE INDEX "idx_widget_engine" ON "widget" ("engine")');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "idx_widget_engine"');
    await queryRunner.query('DROP TABLE "widget"');
  }
}

class CreatedGadgets1650000000000 implements MigrationInterface {
  readonly schemaVersion = 'w-1';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE "gadget" ("id" integer PRIMARY KEY)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "gadget"');
  }
}

class CreatedTableThroughApi1660000000000 implements MigrationInterface {
  readonly schemaVersion = 'w-x';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({ name: 'through_api', columns: [{ name: 'id', type: 'integer', isPrimary: true }] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "through_api"');
  }
}

class DroppedThroughApi1670000000000 implements MigrationInterface {
  readonly schemaVersion = 'w-y';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE "dropped" ("id" integer)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('dropped');
  }
}

class WithoutSchemaVersion1680000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE "unversioned" ("id" integer)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "unversioned"');
  }
}

class WithoutTimestamp implements MigrationInterface {
  readonly schemaVersion = 'w-z';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE "untimed" ("id" integer)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "untimed"');
  }
}

type MigrationClass = new () => MigrationInterface;

describe('describeMigrations', () => {
  let dataSource: DataSource | undefined;

  async function sqliteWith(migrations: MigrationClass[] | typeof MIGRATIONS): Promise<DataSource> {
    dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:', migrations: [...migrations] });
    await dataSource.initialize();
    return dataSource;
  }

  async function tableNames(source: DataSource): Promise<string[]> {
    const rows: { name: string }[] = await source.query(
      `SELECT name FROM sqlite_master WHERE type IN ('table', 'index')`,
    );
    return rows.map((row) => row.name);
  }

  afterEach(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    dataSource = undefined;
  });

  it('records the statements of up() and down() in order, with their parameters, without running them; oldest first', async () => {
    const source = await sqliteWith([CreatedWidgets1700000000000, CreatedGadgets1650000000000]);
    const described = await describeMigrations(source);

    expect(described.map((m) => ({ name: m.name, timestamp: m.timestamp, schemaVersion: m.schemaVersion }))).toEqual([
      { name: 'CreatedGadgets1650000000000', timestamp: 1650000000000, schemaVersion: 'w-1' },
      { name: 'CreatedWidgets1700000000000', timestamp: 1700000000000, schemaVersion: 'w-2' },
    ]);
    const widgets = described[1];
    expect(widgets.instance).toBeInstanceOf(CreatedWidgets1700000000000);
    expect(widgets.up).toEqual([
      { sql: 'CREATE TABLE "widget" ("id" integer PRIMARY KEY, "engine" varchar(20))' },
      { sql: 'INSERT INTO "widget" ("id", "engine") VALUES (?, ?)', parameters: [1, 'better-sqlite3'] },
      { sql: 'CREATE INDEX "idx_widget_engine" ON "widget" ("engine")' },
    ]);
    expect(widgets.down).toEqual([{ sql: 'DROP INDEX "idx_widget_engine"' }, { sql: 'DROP TABLE "widget"' }]);
    expect(described[0].up).toEqual([{ sql: 'CREATE TABLE "gadget" ("id" integer PRIMARY KEY)' }]);
    expect(described[0].down).toEqual([{ sql: 'DROP TABLE "gadget"' }]);

    // the checksum is that of the SQL it issues, written out by hand here
    expect(widgets.checksum).toBe(
      checksumOf(
        [
          { sql: 'CREATE TABLE "widget" ("id" integer PRIMARY KEY, "engine" varchar(20))' },
          { sql: 'INSERT INTO "widget" ("id", "engine") VALUES (?, ?)', parameters: [1, 'better-sqlite3'] },
          { sql: 'CREATE INDEX "idx_widget_engine" ON "widget" ("engine")' },
        ],
        [{ sql: 'DROP INDEX "idx_widget_engine"' }, { sql: 'DROP TABLE "widget"' }],
      ),
    );
    expect(described[0].checksum).not.toBe(widgets.checksum);

    const names = await tableNames(source);
    expect(names).not.toContain('widget');
    expect(names).not.toContain('gadget');
    expect(names).not.toContain('idx_widget_engine');
  });

  it('refuses a migration that calls another QueryRunner method in up(), naming the migration and the method', async () => {
    const source = await sqliteWith([CreatedGadgets1650000000000, CreatedTableThroughApi1660000000000]);
    const failure = describeMigrations(source);
    await expect(failure).rejects.toThrow(/CreatedTableThroughApi1660000000000/);
    await expect(failure).rejects.toThrow(/createTable/);
    expect(await tableNames(source)).not.toContain('through_api');
  });

  it('refuses a migration that calls another QueryRunner method in down(), naming the migration and the method', async () => {
    const source = await sqliteWith([DroppedThroughApi1670000000000]);
    const failure = describeMigrations(source);
    await expect(failure).rejects.toThrow(/DroppedThroughApi1670000000000/);
    await expect(failure).rejects.toThrow(/dropTable/);
    expect(await tableNames(source)).not.toContain('dropped');
  });

  it('refuses a migration without a schemaVersion, naming it', async () => {
    const source = await sqliteWith([CreatedGadgets1650000000000, WithoutSchemaVersion1680000000000]);
    const failure = describeMigrations(source);
    await expect(failure).rejects.toThrow(/WithoutSchemaVersion1680000000000/);
    await expect(failure).rejects.toThrow(/schemaVersion/);
  });

  it('refuses a migration whose name does not end with a 13-digit timestamp', async () => {
    const source = await sqliteWith([WithoutTimestamp]);
    const failure = describeMigrations(source);
    await expect(failure).rejects.toThrow(/WithoutTimestamp/);
    await expect(failure).rejects.toThrow(/13-digit/);
  });

  it('describes the real migrations on SQLite: one per schema version, distinct checksums, nothing run', async () => {
    const source = await sqliteWith(MIGRATIONS);
    const described = await describeMigrations(source);

    expect(described).toHaveLength(MIGRATIONS.length);
    expect(described.map((m) => m.schemaVersion)).toEqual(SCHEMA_VERSIONS);
    expect(described.map((m) => m.name)).toEqual(MIGRATIONS.map((m) => m.name));
    const timestamps = described.map((m) => m.timestamp);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    for (const migration of described) {
      expect(migration.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(migration.up.length).toBeGreaterThan(0);
      // ha-4 aligns defaults with logic-solution's own and deliberately keeps them on the way down.
      if (migration.schemaVersion === 'ha-4') expect(migration.down).toEqual([]);
      else expect(migration.down.length).toBeGreaterThan(0);
    }
    expect(new Set(described.map((m) => m.checksum)).size).toBe(MIGRATIONS.length);
    expect(await tableNames(source)).toEqual([]);
  });

  it('gives the real migrations the same checksums on every description (stable across runs)', async () => {
    const first = await describeMigrations(await sqliteWith(MIGRATIONS));
    await dataSource!.destroy();
    const second = await describeMigrations(await sqliteWith(MIGRATIONS));
    expect(second.map((m) => m.checksum)).toEqual(first.map((m) => m.checksum));
  });
});
