import type { ColumnShape, IndexShape, TableShape } from '../schema-inspector';

/**
 * How a live schema compares with an expected one: `refused` are the differences that
 * matter (a database with any is not that version), `tolerated` those that change nothing
 * logic-ha or logic-solution runs, listed so an operator sees them too.
 */
export interface SchemaComparison {
  refused: string[];
  tolerated: string[];
}

/**
 * Strict on tables, columns, types, nullability, defaults, on-update, auto-increment, the
 * primary key, and each index's columns and uniqueness. Tolerated (reported): an index
 * under another name with the same columns, and column order (a fresh install and an
 * upgrade place columns differently). Index direction is not compared at all: servers
 * before MariaDB 10.8 / MySQL 8.0 accept `DESC` and build an ascending index, so the same
 * script leaves either.
 */
export function compareSchemas(expected: TableShape[], actual: TableShape[]): SchemaComparison {
  const result: SchemaComparison = { refused: [], tolerated: [] };
  const actualByName = new Map(actual.map((table) => [table.name, table]));
  const expectedNames = new Set(expected.map((table) => table.name));
  for (const table of expected) {
    const found = actualByName.get(table.name);
    if (!found) result.refused.push(`table ${table.name} is missing`);
    else merge(result, compareTable(table, found));
  }
  for (const table of actual) {
    if (!expectedNames.has(table.name)) result.refused.push(`table ${table.name} is not expected`);
  }
  return result;
}

/** The differences that matter, one readable line each (empty: the same version). */
export function diffSchemas(expected: TableShape[], actual: TableShape[]): string[] {
  return compareSchemas(expected, actual).refused;
}

function merge(into: SchemaComparison, from: SchemaComparison): void {
  into.refused.push(...from.refused);
  into.tolerated.push(...from.tolerated);
}

function compareTable(expected: TableShape, actual: TableShape): SchemaComparison {
  const result: SchemaComparison = { refused: diffColumns(expected, actual), tolerated: [] };
  if (expected.primaryKey.join(',') !== actual.primaryKey.join(',')) {
    result.refused.push(
      `${expected.name}: primary key is (${actual.primaryKey.join(', ')}), expected (${expected.primaryKey.join(', ')})`,
    );
  }
  const order = columnOrderDifference(expected, actual);
  if (order) result.tolerated.push(order);
  merge(result, compareIndexes(expected, actual));
  return result;
}

function diffColumns(expected: TableShape, actual: TableShape): string[] {
  const differences: string[] = [];
  const actualColumns = new Map(actual.columns.map((column) => [column.name, column]));
  for (const column of expected.columns) {
    const found = actualColumns.get(column.name);
    if (!found) differences.push(`${expected.name}.${column.name}: column is missing`);
    else differences.push(...diffColumn(`${expected.name}.${column.name}`, column, found));
  }
  const expectedColumns = new Set(expected.columns.map((column) => column.name));
  for (const column of actual.columns) {
    if (!expectedColumns.has(column.name)) differences.push(`${expected.name}.${column.name}: column is not expected`);
  }
  return differences;
}

const COLUMN_FACETS: (keyof Omit<ColumnShape, 'name'>)[] = [
  'type',
  'nullable',
  'default',
  'onUpdateCurrentTimestamp',
  'autoIncrement',
];

function diffColumn(label: string, expected: ColumnShape, actual: ColumnShape): string[] {
  return COLUMN_FACETS.filter((facet) => expected[facet] !== actual[facet]).map(
    (facet) => `${label}: ${facet} is ${JSON.stringify(actual[facet])}, expected ${JSON.stringify(expected[facet])}`,
  );
}

/** Said only when both tables have the same columns: otherwise the column differences say it. */
function columnOrderDifference(expected: TableShape, actual: TableShape): string | null {
  const names = (table: TableShape) => table.columns.map((column) => column.name);
  const [want, have] = [names(expected), names(actual)];
  if (want.join(',') === have.join(',') || [...want].sort().join(',') !== [...have].sort().join(',')) return null;
  return `${expected.name}: column order is (${have.join(', ')}), logic-ha's is (${want.join(', ')})`;
}

function describeIndex(index: IndexShape): string {
  const columns = index.columns.map((column) =>
    column.length === undefined ? column.name : `${column.name}(${column.length})`,
  );
  return `${index.unique ? 'unique ' : ''}(${columns.join(', ')})`;
}

function describeDirections(index: IndexShape): string {
  return index.columns.map((column) => `${column.name} ${column.descending ? 'DESC' : 'ASC'}`).join(', ');
}

/** Direction is forgiven (see compareSchemas) but said, so nobody wonders why a DESC index is not one. */
function directionDifference(table: string, expected: IndexShape, actual: IndexShape): string[] {
  if (describeDirections(expected) === describeDirections(actual)) return [];
  return [
    `${table}: index ${actual.name} is (${describeDirections(actual)}), logic-solution declares (${describeDirections(expected)})`,
  ];
}

/**
 * Indexes are matched by name first, then an unmatched expected index by an unmatched
 * actual one with the same columns and uniqueness (the same index under another name).
 */
function compareIndexes(expected: TableShape, actual: TableShape): SchemaComparison {
  const result: SchemaComparison = { refused: [], tolerated: [] };
  const unmatched = new Map(actual.indexes.map((index) => [index.name, index]));
  const byName = expected.indexes.filter((index) => unmatched.has(index.name));
  for (const index of byName) {
    const found = unmatched.get(index.name)!;
    unmatched.delete(index.name);
    if (describeIndex(found) !== describeIndex(index)) {
      result.refused.push(
        `${expected.name}: index ${index.name} is ${describeIndex(found)}, expected ${describeIndex(index)}`,
      );
    } else {
      result.tolerated.push(...directionDifference(expected.name, index, found));
    }
  }
  for (const index of expected.indexes.filter((i) => !byName.includes(i))) {
    const renamed = [...unmatched.values()].find((candidate) => describeIndex(candidate) === describeIndex(index));
    if (!renamed) {
      result.refused.push(`${expected.name}: index ${index.name} ${describeIndex(index)} is missing`);
      continue;
    }
    unmatched.delete(renamed.name);
    result.tolerated.push(`${expected.name}: index ${index.name} ${describeIndex(index)} is named ${renamed.name}`);
    result.tolerated.push(...directionDifference(expected.name, index, renamed));
  }
  for (const index of unmatched.values()) {
    result.refused.push(`${expected.name}: index ${index.name} ${describeIndex(index)} is not expected`);
  }
  return result;
}
