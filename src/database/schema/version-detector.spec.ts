import type { TableShape } from '../schema-inspector';
import { SCHEMA_VERSIONS, expectedSchema } from './known-schemas';
import { detectSchemaVersion } from './version-detector';

function unrelatedTable(name: string): TableShape {
  return {
    name,
    primaryKey: ['id'],
    indexes: [],
    columns: [{ name: 'id', type: 'int', nullable: false, default: null, onUpdateCurrentTimestamp: false, autoIncrement: true }],
  };
}

describe('detectSchemaVersion', () => {
  it.each(SCHEMA_VERSIONS)('recognises %s exactly', (version) => {
    expect(detectSchemaVersion(expectedSchema(version))).toEqual({ kind: 'match', version, otherTables: [] });
  });

  it('recognises a version whatever order the tables come in', () => {
    expect(detectSchemaVersion(expectedSchema('0.7.7').reverse())).toEqual({ kind: 'match', version: '0.7.7', otherTables: [] });
  });

  it('calls a database without tables empty', () => {
    expect(detectSchemaVersion([])).toEqual({ kind: 'empty', otherTables: [] });
  });

  it('calls a database with only other applications’ tables empty, and lists them', () => {
    expect(detectSchemaVersion([unrelatedTable('orders'), unrelatedTable('customers')])).toEqual({ kind: 'empty', otherTables: ['orders', 'customers'] });
  });

  it('recognises a known schema beside other tables, leaving them out of the comparison', () => {
    const tables = [...expectedSchema('0.8'), unrelatedTable('orders')];
    expect(detectSchemaVersion(tables)).toEqual({ kind: 'match', version: '0.8', otherTables: ['orders'] });
  });

  it('calls a damaged 0.7.4 unknown, closest to 0.7.4, naming the dropped column', () => {
    const tables = structuredClone(expectedSchema('0.7.4'));
    const logic = tables.find((t) => t.name === 'logic')!;
    logic.columns = logic.columns.filter((c) => c.name !== 'module');
    const detection = detectSchemaVersion([...tables, unrelatedTable('orders')]);
    expect(detection.kind).toBe('unknown');
    if (detection.kind !== 'unknown') return;
    expect(detection.closest).toBe('0.7.4');
    expect(detection.differences).toHaveLength(1);
    expect(detection.differences[0]).toMatch(/logic\.module/);
    expect(detection.otherTables).toEqual(['orders']);
  });

  it('picks the newest version as closest when its schema is damaged in a table older versions share', () => {
    const tables = structuredClone(expectedSchema('ha-3'));
    const instance = tables.find((t) => t.name === 'logic_instance')!;
    instance.indexes = instance.indexes.filter((i) => i.name !== 'idx_instance_createTime');
    const detection = detectSchemaVersion(tables);
    expect(detection).toMatchObject({ kind: 'unknown', closest: 'ha-3', otherTables: [] });
    if (detection.kind !== 'unknown') return;
    expect(detection.differences).toEqual([expect.stringMatching(/idx_instance_createTime/)]);
  });
  it('blames the damaged table, not a version without it: ha-3 whose failover table lost its index is closest to ha-3', () => {
    const damaged = expectedSchema('ha-3').map((table) => (table.name === 'logic_ha_failover' ? { ...table, indexes: [] } : table));
    const detection = detectSchemaVersion(damaged);
    expect(detection).toMatchObject({ kind: 'unknown', closest: 'ha-3' });
    expect(detection.kind === 'unknown' && detection.differences).toEqual([expect.stringContaining('idx_failover_startedAt')]);
  });

  it('breaks a tie towards the newer version: 0.7.4 without createTime names createTime, not 0.6.2 with an extra retryTimes', () => {
    const damaged = expectedSchema('0.7.4').map((table) =>
      table.name === 'logic_instance' ? { ...table, columns: table.columns.filter((column) => column.name !== 'createTime') } : table,
    );
    const detection = detectSchemaVersion(damaged);
    expect(detection).toMatchObject({ kind: 'unknown', closest: '0.7.4' });
    expect(detection.kind === 'unknown' && detection.differences).toEqual(['logic_instance.createTime: column is missing']);
  });
});
