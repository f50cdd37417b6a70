import type { ColumnShape, TableShape } from '../schema-inspector';
import { SCHEMA_VERSIONS, expectedSchema } from './known-schemas';
import { compareSchemas, diffSchemas } from './schema-diff';

/** The newest schema: every table kind (composite key, auto-increment, ON UPDATE, descending index). */
const BASE = expectedSchema('ha-4', 'mysql');

function copy(): TableShape[] {
  return structuredClone(BASE);
}

function tableOf(tables: TableShape[], name: string): TableShape {
  const found = tables.find((t) => t.name === name);
  if (!found) throw new Error(`no table ${name} in the fixture`);
  return found;
}

function columnOf(tables: TableShape[], tableName: string, columnName: string): ColumnShape {
  const found = tableOf(tables, tableName).columns.find((c) => c.name === columnName);
  if (!found) throw new Error(`no column ${tableName}.${columnName} in the fixture`);
  return found;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('diffSchemas', () => {
  it.each(SCHEMA_VERSIONS)('finds no difference between %s and a copy of it', (version) => {
    expect(compareSchemas(expectedSchema(version, 'mysql'), structuredClone(expectedSchema(version, 'mysql')))).toEqual(
      { refused: [], tolerated: [] },
    );
  });

  it('finds differences between two different versions (the comparison is not vacuous)', () => {
    expect(diffSchemas(expectedSchema('0.7.4', 'mysql'), expectedSchema('0.6.2', 'mysql')).length).toBeGreaterThan(0);
  });

  it('reports a missing table by name, once', () => {
    const actual = copy().filter((t) => t.name !== 'logic_ha_failover');
    const differences = diffSchemas(BASE, actual);
    expect(differences).toHaveLength(1);
    expect(differences[0]).toMatch(/logic_ha_failover/);
    expect(differences[0]).toMatch(/missing/);
  });

  it('reports an unexpected table by name, once', () => {
    const actual = copy();
    actual.push({
      name: 'someone_else',
      primaryKey: ['id'],
      indexes: [],
      columns: [{ ...columnOf(actual, 'logic', 'id') }],
    });
    const differences = diffSchemas(BASE, actual);
    expect(differences).toHaveLength(1);
    expect(differences[0]).toMatch(/someone_else/);
    expect(differences[0]).toMatch(/not expected/);
  });

  it('reports a missing column with its table, and nothing else (indexes are compared by definition, not by column presence)', () => {
    const actual = copy();
    const instance = tableOf(actual, 'logic_instance');
    instance.columns = instance.columns.filter((c) => c.name !== 'retryTimes');
    const differences = diffSchemas(BASE, actual);
    expect(differences).toHaveLength(1);
    expect(differences[0]).toMatch(/logic_instance\.retryTimes/);
    expect(differences[0]).toMatch(/missing/);
  });

  it('reports an unexpected column with its table', () => {
    const actual = copy();
    tableOf(actual, 'logic_bak').columns.push({ ...columnOf(actual, 'logic_bak', 'module'), name: 'extraColumn' });
    const differences = diffSchemas(BASE, actual);
    expect(differences).toHaveLength(1);
    expect(differences[0]).toMatch(/logic_bak\.extraColumn/);
    expect(differences[0]).toMatch(/not expected/);
  });

  // logic_published.publishTime: datetime, nullable, DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, no AUTO_INCREMENT.
  it.each<[keyof Omit<ColumnShape, 'name'>, ColumnShape[keyof ColumnShape], string, string]>([
    ['type', 'datetime(3)', '"datetime(3)"', '"datetime"'],
    ['nullable', false, 'false', 'true'],
    ['default', null, 'null', '"CURRENT_TIMESTAMP"'],
    ['onUpdateCurrentTimestamp', false, 'false', 'true'],
    ['autoIncrement', true, 'true', 'false'],
  ])(
    'reports a %s difference naming the column, the actual (%j) and the expected value',
    (facet, value, actualText, expectedText) => {
      const actual = copy();
      Object.assign(columnOf(actual, 'logic_published', 'publishTime'), { [facet]: value });
      const differences = diffSchemas(BASE, actual);
      expect(differences).toHaveLength(1);
      expect(differences[0]).toMatch(/logic_published\.publishTime/);
      expect(differences[0]).toContain(facet);
      // actual first, then the expected value
      expect(differences[0]).toMatch(new RegExp(`${escape(actualText)}.*expected.*${escape(expectedText)}`));
    },
  );

  it('reports each differing facet of one column on its own line', () => {
    const actual = copy();
    Object.assign(columnOf(actual, 'logic_ha_backup', 'sizeBytes'), { type: 'int', nullable: true, default: null });
    const differences = diffSchemas(BASE, actual);
    expect(differences).toHaveLength(3);
    expect(differences.every((d) => d.includes('logic_ha_backup.sizeBytes'))).toBe(true);
    expect(differences.find((d) => d.includes('type'))).toBeDefined();
    expect(differences.find((d) => d.includes('nullable'))).toBeDefined();
    expect(differences.find((d) => d.includes('default'))).toBeDefined();
  });

  it('reports a different primary key with the actual and the expected columns', () => {
    const actual = copy();
    tableOf(actual, 'logic_log').primaryKey = ['id'];
    const differences = diffSchemas(BASE, actual);
    expect(differences).toHaveLength(1);
    expect(differences[0]).toMatch(/logic_log/);
    expect(differences[0]).toMatch(/primary key/);
    expect(differences[0]).toMatch(/\(id\).*expected.*\(id, version\)/);
  });

  it('treats the column order of a composite primary key as significant', () => {
    const actual = copy();
    tableOf(actual, 'logic_log').primaryKey = ['version', 'id'];
    expect(diffSchemas(BASE, actual)).toHaveLength(1);
  });

  it('reports a missing index by name', () => {
    const actual = copy();
    const instance = tableOf(actual, 'logic_instance');
    instance.indexes = instance.indexes.filter((i) => i.name !== 'idx_instance_createTime');
    const differences = diffSchemas(BASE, actual);
    expect(differences).toHaveLength(1);
    expect(differences[0]).toMatch(/logic_instance/);
    expect(differences[0]).toMatch(/idx_instance_createTime/);
    expect(differences[0]).toMatch(/missing/);
  });

  it('reports an unexpected index by name', () => {
    const actual = copy();
    tableOf(actual, 'logic').indexes.push({
      name: 'idx_extra',
      unique: false,
      columns: [{ name: 'name', descending: false }],
    });
    const differences = diffSchemas(BASE, actual);
    expect(differences).toHaveLength(1);
    expect(differences[0]).toMatch(/^logic: .*idx_extra/);
    expect(differences[0]).toMatch(/not expected/);
  });

  it('reports an index whose columns differ, with the actual and the expected columns', () => {
    const actual = copy();
    const index = tableOf(actual, 'logic_instance').indexes.find((i) => i.name === 'idx_logicId_bizId')!;
    index.columns = [{ name: 'logicId', descending: false }];
    const differences = diffSchemas(BASE, actual);
    expect(differences).toHaveLength(1);
    expect(differences[0]).toMatch(/idx_logicId_bizId/);
    expect(differences[0]).toMatch(/\(logicId\).*expected.*\(logicId, bizId\)/);
  });

  it('treats the column order within an index as significant', () => {
    const actual = copy();
    const index = tableOf(actual, 'logic_instance').indexes.find((i) => i.name === 'idx_logicId_bizId')!;
    index.columns.reverse();
    const differences = diffSchemas(BASE, actual);
    expect(differences).toHaveLength(1);
    expect(differences[0]).toMatch(/idx_logicId_bizId/);
  });

  it('reports an index that became unique', () => {
    const actual = copy();
    tableOf(actual, 'logic_bak').indexes.find((i) => i.name === 'logicid_version_idx')!.unique = true;
    const differences = diffSchemas(BASE, actual);
    expect(differences).toHaveLength(1);
    expect(differences[0]).toMatch(/logicid_version_idx/);
    expect(differences[0]).toMatch(/is unique \(id, version\).*expected \(id, version\)/);
  });

  it('reports differences in several tables together', () => {
    const actual = copy().filter((t) => t.name !== 'logic_ha_backup');
    tableOf(actual, 'logic').primaryKey = [];
    columnOf(actual, 'logic_log', 'host').type = 'varchar(100)';
    const differences = diffSchemas(BASE, actual);
    expect(differences).toHaveLength(3);
  });

  it('ignores the order of columns, tables and indexes, and lists a different column order as tolerated', () => {
    const actual = copy().reverse();
    for (const table of actual) {
      table.columns.reverse();
      table.indexes.reverse();
    }
    // the shuffle did change something
    expect(actual.map((t) => t.name)).not.toEqual(BASE.map((t) => t.name));
    expect(tableOf(actual, 'logic_instance').columns[0].name).not.toBe(tableOf(BASE, 'logic_instance').columns[0].name);
    const comparison = compareSchemas(BASE, actual);
    expect(comparison.refused).toEqual([]);
    expect(comparison.tolerated).toHaveLength(BASE.length);
    expect(comparison.tolerated).toContainEqual(
      expect.stringMatching(/^logic_instance: column order is \(isAsync, .*\), logic-ha's is \(id, /),
    );
  });

  it('ignores index direction (servers before MariaDB 10.8 / MySQL 8.0 build DESC indexes ascending)', () => {
    const actual = copy();
    const flipped: string[] = [];
    for (const table of actual) {
      for (const index of table.indexes) {
        for (const column of index.columns) column.descending = !column.descending;
        flipped.push(index.name);
      }
    }
    expect(flipped).toContain('idx_bizId_parBizId_serverTime'); // the one descending index is among them
    expect(diffSchemas(BASE, actual)).toEqual([]);
  });

  it('tolerates an index under another name with the same columns, and lists it', () => {
    const actual = copy();
    tableOf(actual, 'logic_log').indexes[0].name = 'idx_logic_log_logicId_bizId';
    expect(compareSchemas(BASE, actual)).toEqual({
      refused: [],
      tolerated: ['logic_log: index logicId_bizId (logicId, bizId) is named idx_logic_log_logicId_bizId'],
    });
  });

  it('refuses a renamed index whose columns differ: the expected one missing, the other not expected', () => {
    const actual = copy();
    const index = tableOf(actual, 'logic_log').indexes[0];
    Object.assign(index, { name: 'by_logic', columns: [{ name: 'logicId', descending: false }] });
    expect(compareSchemas(BASE, actual)).toEqual({
      refused: [
        'logic_log: index logicId_bizId (logicId, bizId) is missing',
        'logic_log: index by_logic (logicId) is not expected',
      ],
      tolerated: [],
    });
  });

  it('refuses a second index on the same columns: only one stands for the expected index', () => {
    const actual = copy();
    tableOf(actual, 'logic_log').indexes.push({ ...tableOf(actual, 'logic_log').indexes[0], name: 'dup' });
    expect(compareSchemas(BASE, actual).refused).toEqual(['logic_log: index dup (logicId, bizId) is not expected']);
  });

  it('does not call the order different when a column is missing (the missing column says it)', () => {
    const actual = copy();
    const logic = tableOf(actual, 'logic');
    logic.columns = logic.columns.filter((c) => c.name !== 'module').reverse();
    expect(compareSchemas(BASE, actual)).toEqual({ refused: ['logic.module: column is missing'], tolerated: [] });
  });
});
