import type { TableShape } from '../schema-inspector';
import { SCHEMA_VERSIONS, SchemaVersion, expectedSchema } from './known-schemas';
import { diffSchemas } from './schema-diff';

export type SchemaDetection =
  /** None of the tables any version has: a new database. */
  | { kind: 'empty'; otherTables: string[] }
  | { kind: 'match'; version: SchemaVersion; otherTables: string[] }
  /** Known tables, but no version has exactly this shape; `closest` has the fewest differences. */
  | { kind: 'unknown'; closest: SchemaVersion; differences: string[]; otherTables: string[] };

const KNOWN_TABLES = new Set(SCHEMA_VERSIONS.flatMap((version) => expectedSchema(version).map((table) => table.name)));

/** The tables some schema version has; others (another application's) are not logic-ha's business. */
export function knownTablesOf(tables: TableShape[]): TableShape[] {
  return tables.filter((table) => KNOWN_TABLES.has(table.name));
}

/**
 * Which schema version a database without migration history has, read from its tables,
 * columns and indexes alone. Tables no version has (another application's, in a shared
 * schema) are left out of the comparison and reported.
 */
export function detectSchemaVersion(tables: TableShape[]): SchemaDetection {
  const known = knownTablesOf(tables);
  const otherTables = tables.filter((table) => !KNOWN_TABLES.has(table.name)).map((table) => table.name);
  if (known.length === 0) return { kind: 'empty', otherTables };
  const candidates = SCHEMA_VERSIONS.map((version) => {
    const expected = expectedSchema(version);
    const differences = diffSchemas(expected, known);
    return { version, differences, distance: distance(differences, [...expected, ...known]) };
  });
  const exact = candidates.find((candidate) => candidate.differences.length === 0);
  if (exact) return { kind: 'match', version: exact.version, otherTables };
  // Ties go to the newer version: a damaged 0.7.4 is more likely than a 0.6.2 with one extra column.
  const closest = candidates.reduce((best, candidate) => (candidate.distance <= best.distance ? candidate : best));
  return { kind: 'unknown', closest: closest.version, differences: closest.differences, otherTables };
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
