import type { TableShape } from '../schema-inspector';
import { NO_COSMETICS, type SchemaCosmetics, compareCosmetics } from './cosmetics';
import {
  SCHEMA_VERSIONS,
  type SchemaEngine,
  type SchemaVersion,
  expectedSchema,
  schemaOfEarlierMigrations,
} from './known-schemas';
import { compareSchemas } from './schema-diff';

export type SchemaDetection =
  /** None of the tables any version has: a new database. */
  | { kind: 'empty'; otherTables: string[] }
  /** `tolerated`: how it differs from `version` in ways that do not matter (names, comments, collations, ...). */
  | { kind: 'match'; version: SchemaVersion; tolerated: string[]; otherTables: string[] }
  /** Known tables, but no version has this shape; `closest` has the fewest differences that matter. */
  | { kind: 'unknown'; closest: SchemaVersion; differences: string[]; tolerated: string[]; otherTables: string[] };

const KNOWN_TABLES = new Set(
  SCHEMA_VERSIONS.flatMap((version) => expectedSchema(version, 'mysql').map((table) => table.name)),
);

/** The tables some schema version has; others (another application's) are not logic-ha's business. */
export function knownTablesOf(tables: TableShape[]): TableShape[] {
  return tables.filter((table) => KNOWN_TABLES.has(table.name));
}

/**
 * Which schema version a database without migration history has, read from its tables,
 * columns and indexes alone. Tables no version has (another application's, in a shared
 * schema) are left out of the comparison and reported. What the comparison tolerates
 * (see compareSchemas and cosmetics.ts) is reported with the verdict, never a reason for it.
 */
export function detectSchemaVersion(
  tables: TableShape[],
  engine: SchemaEngine,
  cosmetics: SchemaCosmetics = NO_COSMETICS,
): SchemaDetection {
  const known = knownTablesOf(tables);
  const otherTables = tables.filter((table) => !KNOWN_TABLES.has(table.name)).map((table) => table.name);
  if (known.length === 0) return { kind: 'empty', otherTables };
  const beyondShape = compareCosmetics(
    cosmetics,
    known.map((table) => table.name),
  );
  const candidates = SCHEMA_VERSIONS.flatMap((version) => shapesOf(version, engine)).map(
    ({ version, expected, note }) => {
      const comparison = compareSchemas(expected, known);
      const refused = [...comparison.refused, ...beyondShape.refused];
      return {
        version,
        refused,
        tolerated: [...note, ...comparison.tolerated, ...beyondShape.tolerated],
        distance: distance(refused, [...expected, ...known]),
      };
    },
  );
  // The oldest exact match: ha-3 and ha-4 look alike, and ha-4 (a no-op where nothing lacks) then still runs.
  const exact = candidates.find((candidate) => candidate.refused.length === 0);
  if (exact) return { kind: 'match', version: exact.version, tolerated: exact.tolerated, otherTables };
  // Ties go to the newer version: a damaged 0.7.4 is more likely than a 0.6.2 with one extra column.
  const closest = candidates.reduce((best, candidate) => (candidate.distance <= best.distance ? candidate : best));
  return {
    kind: 'unknown',
    closest: closest.version,
    differences: closest.refused,
    tolerated: closest.tolerated,
    otherTables,
  };
}

/**
 * The shapes a database at `version` may have: logic-solution's (its scripts, and every
 * logic-ha database from ha-4 on), then, before ha-4, the one logic-ha's own migrations
 * left, whose missing defaults ha-4 adds.
 */
function shapesOf(
  version: SchemaVersion,
  engine: SchemaEngine,
): { version: SchemaVersion; expected: TableShape[]; note: string[] }[] {
  const shapes = [{ version, expected: expectedSchema(version, engine), note: [] as string[] }];
  if (SCHEMA_VERSIONS.indexOf(version) < SCHEMA_VERSIONS.indexOf('ha-4')) {
    const note = [
      `defaults and index name as logic-ha's migrations before ha-4 left them (ha-4 aligns them with logic-solution's)`,
    ];
    shapes.push({ version, expected: schemaOfEarlierMigrations(version, engine), note });
  }
  return shapes;
}

/**
 * How far apart two schemas are: one per difference, except that a whole table missing or
 * unexpected weighs as much as its columns and indexes, so one damaged table does not make
 * the version without that table look closest.
 */
function distance(differences: string[], tables: TableShape[]): number {
  return differences.reduce((sum, difference) => {
    const whole = /^table (\S+) is (missing|not expected)$/.exec(difference);
    const table = whole ? tables.find((t) => t.name === whole[1]) : undefined;
    return sum + (table ? table.columns.length + table.indexes.length : 1);
  }, 0);
}
