import type { ColumnShape, IndexShape, TableShape } from '../schema-inspector';

/**
 * Every way `actual` differs from `expected`, one readable line each (empty: the same).
 * Column order is not compared: a fresh install of a version and an upgrade to it place
 * columns differently, and nothing logic-ha runs depends on the order. Index direction is
 * not compared either: servers before MariaDB 10.8 / MySQL 8.0 accept `DESC` and build an
 * ascending index, so the same logic-solution script leaves either.
 */
export function diffSchemas(expected: TableShape[], actual: TableShape[]): string[] {
  const differences: string[] = [];
  const actualByName = new Map(actual.map((table) => [table.name, table]));
  const expectedNames = new Set(expected.map((table) => table.name));
  for (const table of expected) {
    const found = actualByName.get(table.name);
    if (!found) differences.push(`table ${table.name} is missing`);
    else differences.push(...diffTable(table, found));
  }
  for (const table of actual) {
    if (!expectedNames.has(table.name)) differences.push(`table ${table.name} is not expected`);
  }
  return differences;
}

function diffTable(expected: TableShape, actual: TableShape): string[] {
  const differences = diffColumns(expected, actual);
  if (expected.primaryKey.join(',') !== actual.primaryKey.join(',')) {
    differences.push(`${expected.name}: primary key is (${actual.primaryKey.join(', ')}), expected (${expected.primaryKey.join(', ')})`);
  }
  differences.push(...diffIndexes(expected, actual));
  return differences;
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

const COLUMN_FACETS: (keyof Omit<ColumnShape, 'name'>)[] = ['type', 'nullable', 'default', 'onUpdateCurrentTimestamp', 'autoIncrement'];

function diffColumn(label: string, expected: ColumnShape, actual: ColumnShape): string[] {
  return COLUMN_FACETS.filter((facet) => expected[facet] !== actual[facet]).map(
    (facet) => `${label}: ${facet} is ${JSON.stringify(actual[facet])}, expected ${JSON.stringify(expected[facet])}`,
  );
}

function describeIndex(index: IndexShape): string {
  return `${index.unique ? 'unique ' : ''}(${index.columns.map((column) => column.name).join(', ')})`;
}

function diffIndexes(expected: TableShape, actual: TableShape): string[] {
  const differences: string[] = [];
  const actualIndexes = new Map(actual.indexes.map((index) => [index.name, index]));
  for (const index of expected.indexes) {
    const found = actualIndexes.get(index.name);
    if (!found) differences.push(`${expected.name}: index ${index.name} ${describeIndex(index)} is missing`);
    else if (describeIndex(found) !== describeIndex(index)) {
      differences.push(`${expected.name}: index ${index.name} is ${describeIndex(found)}, expected ${describeIndex(index)}`);
    }
  }
  const expectedIndexes = new Set(expected.indexes.map((index) => index.name));
  for (const index of actual.indexes) {
    if (!expectedIndexes.has(index.name)) differences.push(`${expected.name}: index ${index.name} ${describeIndex(index)} is not expected`);
  }
  return differences;
}
