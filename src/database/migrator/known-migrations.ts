import { createHash } from 'node:crypto';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';

export interface RecordedStatement {
  sql: string;
  parameters?: unknown[];
}

/** A migration of this build, with the SQL it runs on the connected engine and its checksum. */
export interface KnownMigration {
  name: string;
  /** TypeORM's ordering key: the 13-digit suffix of the class name. */
  timestamp: number;
  /** The schema it leaves: a logic-solution version ('0.7.4') or a logic-ha revision ('ha-2'). */
  schemaVersion: string;
  instance: MigrationInterface;
  up: RecordedStatement[];
  down: RecordedStatement[];
  checksum: string;
}

/**
 * Describes the data source's migrations, oldest first. The checksum covers the SQL that
 * up() and down() issue on this engine (as Flyway checksums a script), not the compiled
 * JavaScript, so ts-jest and dist/ agree; whitespace runs count as one space, so
 * re-indenting a statement is not a change but editing one is.
 */
export async function describeMigrations(dataSource: DataSource): Promise<KnownMigration[]> {
  const described: KnownMigration[] = [];
  for (const instance of dataSource.migrations) {
    const name = migrationName(instance);
    const up = await recordStatements(dataSource, instance, 'up');
    const down = await recordStatements(dataSource, instance, 'down');
    described.push({
      name,
      timestamp: timestampOf(name),
      schemaVersion: schemaVersionOf(instance),
      instance,
      up,
      down,
      checksum: checksumOf(up, down),
    });
  }
  return described.sort((a, b) => a.timestamp - b.timestamp);
}

export function migrationName(instance: MigrationInterface): string {
  return instance.name ?? instance.constructor.name;
}

function timestampOf(name: string): number {
  const timestamp = Number(name.slice(-13));
  if (!/^\d{13}$/.test(name.slice(-13)) || !Number.isSafeInteger(timestamp)) {
    throw new Error(`migration ${name}: its name must end with a 13-digit timestamp`);
  }
  return timestamp;
}

function schemaVersionOf(instance: MigrationInterface): string {
  const version = (instance as { schemaVersion?: unknown }).schemaVersion;
  if (typeof version !== 'string') throw new Error(`migration ${migrationName(instance)} has no schemaVersion`);
  return version;
}

export function checksumOf(up: RecordedStatement[], down: RecordedStatement[]): string {
  const normalise = (statements: RecordedStatement[]) =>
    statements.map((statement) => ({
      sql: statement.sql.replace(/\s+/g, ' ').trim(),
      parameters: statement.parameters ?? [],
    }));
  return createHash('sha256')
    .update(JSON.stringify({ up: normalise(up), down: normalise(down) }))
    .digest('hex');
}

/** Statements a migration may run to look before it changes anything (a conditional migration such as ha-4). */
const READ_ONLY = /^\s*(SELECT|SHOW|PRAGMA)\b/i;

/**
 * What up() would run on this database now: reads (see READ_ONLY) go to the database, so a
 * migration that changes only what is still missing shows only that; changes are recorded,
 * never run. `db plan` shows this; the checksum stays on describeMigrations' recording,
 * whose reads answer nothing, so it is the same on every database.
 */
export async function plannedStatements(
  dataSource: DataSource,
  migration: KnownMigration,
): Promise<RecordedStatement[]> {
  return recordStatements(dataSource, migration.instance, 'up', (sql, parameters) => dataSource.query(sql, parameters));
}

/**
 * Runs up() or down() against a query runner that records statements instead of running
 * them. Migrations here are plain SQL through `query()`; one that uses another QueryRunner
 * method cannot be planned or checksummed and is refused with its name.
 */
async function recordStatements(
  dataSource: DataSource,
  instance: MigrationInterface,
  direction: 'up' | 'down',
  read: (sql: string, parameters?: unknown[]) => Promise<unknown> = async () => [],
): Promise<RecordedStatement[]> {
  const statements: RecordedStatement[] = [];
  const recorder = new Proxy({} as QueryRunner, {
    get(_target, property) {
      if (property === 'connection') return dataSource;
      if (property === 'query') {
        return async (sql: string, parameters?: unknown[]) => {
          statements.push(parameters && parameters.length > 0 ? { sql, parameters } : { sql });
          return READ_ONLY.test(sql) ? read(sql, parameters) : [];
        };
      }
      if (property === 'then') return undefined;
      throw new Error(
        `migration ${migrationName(instance)} calls queryRunner.${String(property)}: write it with queryRunner.query() so it can be planned and checksummed`,
      );
    },
  });
  await instance[direction](recorder);
  return statements;
}
