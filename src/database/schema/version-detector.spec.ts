import type { TableShape } from '../schema-inspector';
import type { SchemaCosmetics } from './cosmetics';
import { SCHEMA_VERSIONS, type SchemaVersion, expectedSchema, schemaOfEarlierMigrations } from './known-schemas';
import { detectSchemaVersion } from './version-detector';

function unrelatedTable(name: string): TableShape {
  return {
    name,
    primaryKey: ['id'],
    indexes: [],
    columns: [
      { name: 'id', type: 'int', nullable: false, default: null, onUpdateCurrentTimestamp: false, autoIncrement: true },
    ],
  };
}

const LATEST = SCHEMA_VERSIONS[SCHEMA_VERSIONS.length - 1];

/** ha-4 changed no shape (it aligned databases that lacked it): its shape is detected as ha-3, so ha-4 still runs (a no-op). */
function detectedAs(version: SchemaVersion): SchemaVersion {
  return version === 'ha-4' ? 'ha-3' : version;
}

describe('detectSchemaVersion', () => {
  it.each(SCHEMA_VERSIONS)('recognises %s exactly', (version) => {
    expect(detectSchemaVersion(expectedSchema(version, 'mysql'), 'mysql')).toEqual({
      kind: 'match',
      version: detectedAs(version),
      tolerated: [],
      otherTables: [],
    });
  });

  it('recognises a version whatever order the tables come in', () => {
    expect(detectSchemaVersion(expectedSchema('0.7.7', 'mysql').reverse(), 'mysql')).toEqual({
      kind: 'match',
      version: '0.7.7',
      tolerated: [],
      otherTables: [],
    });
  });

  it('calls a database without tables empty', () => {
    expect(detectSchemaVersion([], 'mysql')).toEqual({ kind: 'empty', otherTables: [] });
  });

  it('calls a database with only other applications’ tables empty, and lists them', () => {
    expect(detectSchemaVersion([unrelatedTable('orders'), unrelatedTable('customers')], 'mysql')).toEqual({
      kind: 'empty',
      otherTables: ['orders', 'customers'],
    });
  });

  it('recognises a known schema beside other tables, leaving them out of the comparison', () => {
    const tables = [...expectedSchema('0.8', 'mysql'), unrelatedTable('orders')];
    expect(detectSchemaVersion(tables, 'mysql')).toEqual({
      kind: 'match',
      version: '0.8',
      tolerated: [],
      otherTables: ['orders'],
    });
  });

  it('calls a damaged 0.7.4 unknown, closest to 0.7.4, naming the dropped column', () => {
    const tables = structuredClone(expectedSchema('0.7.4', 'mysql'));
    const logic = tables.find((t) => t.name === 'logic')!;
    logic.columns = logic.columns.filter((c) => c.name !== 'module');
    const detection = detectSchemaVersion([...tables, unrelatedTable('orders')], 'mysql');
    expect(detection.kind).toBe('unknown');
    if (detection.kind !== 'unknown') return;
    expect(detection.closest).toBe('0.7.4');
    expect(detection.differences).toHaveLength(1);
    expect(detection.differences[0]).toMatch(/logic\.module/);
    expect(detection.otherTables).toEqual(['orders']);
  });

  it('picks the newest version as closest when its schema is damaged in a table older versions share', () => {
    const tables = structuredClone(expectedSchema(LATEST, 'mysql'));
    const instance = tables.find((t) => t.name === 'logic_instance')!;
    instance.indexes = instance.indexes.filter((i) => i.name !== 'idx_instance_createTime');
    const detection = detectSchemaVersion(tables, 'mysql');
    expect(detection).toMatchObject({ kind: 'unknown', closest: LATEST, otherTables: [] });
    if (detection.kind !== 'unknown') return;
    expect(detection.differences).toEqual([expect.stringMatching(/idx_instance_createTime/)]);
  });
  it('blames the damaged table, not a version without it: ha-3 whose failover table lost its index is closest to the newest version', () => {
    const damaged = expectedSchema(LATEST, 'mysql').map((table) =>
      table.name === 'logic_ha_failover' ? { ...table, indexes: [] } : table,
    );
    const detection = detectSchemaVersion(damaged, 'mysql');
    expect(detection).toMatchObject({ kind: 'unknown', closest: LATEST });
    expect(detection.kind === 'unknown' && detection.differences).toEqual([
      expect.stringContaining('idx_failover_startedAt'),
    ]);
  });

  it('breaks a tie towards the newer version: 0.7.4 without createTime names createTime, not 0.6.2 with an extra retryTimes', () => {
    const damaged = expectedSchema('0.7.4', 'mysql').map((table) =>
      table.name === 'logic_instance'
        ? { ...table, columns: table.columns.filter((column) => column.name !== 'createTime') }
        : table,
    );
    const detection = detectSchemaVersion(damaged, 'mysql');
    expect(detection).toMatchObject({ kind: 'unknown', closest: '0.7.4' });
    expect(detection.kind === 'unknown' && detection.differences).toEqual([
      'logic_instance.createTime: column is missing',
    ]);
  });

  it.each(SCHEMA_VERSIONS)(
    'recognises the SQLite rendering of %s on SQLite exactly, and on MariaDB with the index name tolerated',
    (version) => {
      const sqlite = expectedSchema(version, 'sqlite');
      expect(detectSchemaVersion(sqlite, 'sqlite')).toEqual({
        kind: 'match',
        version: detectedAs(version),
        tolerated: [],
        otherTables: [],
      });
      expect(detectSchemaVersion(sqlite, 'mysql')).toEqual({
        kind: 'match',
        version: detectedAs(version),
        tolerated: ['logic_log: index logicId_bizId (logicId, bizId) is named idx_logic_log_logicId_bizId'],
        otherTables: [],
      });
    },
  );

  const navicat: SchemaCosmetics = {
    databaseCollation: 'utf8mb4_general_ci',
    tables: [
      {
        table: 'logic_published',
        engine: 'InnoDB',
        collation: 'utf8mb4_unicode_ci',
        options: 'row_format=DYNAMIC',
        comment: '',
        columns: [
          { name: 'id', declaredType: 'bigint(20)', charset: null, collation: null, comment: '主键' },
          {
            name: 'name',
            declaredType: 'varchar(50)',
            charset: 'utf8mb4',
            collation: 'utf8mb4_unicode_ci',
            comment: '',
          },
        ],
      },
      {
        table: 'logic_instance',
        engine: 'InnoDB',
        collation: 'utf8mb4_general_ci',
        options: '',
        comment: '实例',
        columns: [
          { name: 'isOver', declaredType: 'tinyint(1)', charset: null, collation: null, comment: '是否结束' },
          { name: 'success', declaredType: 'tinyint(4)', charset: null, collation: null, comment: '' },
          { name: 'env', declaredType: 'varchar(10)', charset: 'utf8mb3', collation: 'utf8mb3_bin', comment: '' },
        ],
      },
      {
        table: 'orders',
        engine: 'MyISAM',
        collation: 'latin1_swedish_ci',
        options: 'row_format=COMPACT',
        comment: 'not ours',
        columns: [],
      },
    ],
  };

  it('lists comments, collations, charsets, display widths and table options as tolerated, for its own tables only', () => {
    const detection = detectSchemaVersion(
      [...expectedSchema('0.8', 'mysql'), unrelatedTable('orders')],
      'mysql',
      navicat,
    );
    expect(detection).toEqual({
      kind: 'match',
      version: '0.8',
      otherTables: ['orders'],
      tolerated: [
        "logic_published: collation utf8mb4_unicode_ci (the database's default is utf8mb4_general_ci)",
        'logic_published: table options row_format=DYNAMIC',
        'logic_published: comments on id "主键"',
        'logic_instance: table comment "实例"',
        'logic_instance: character sets on env utf8mb3',
        'logic_instance: column collations on env utf8mb3_bin',
        'logic_instance: display widths on isOver tinyint(1)',
        'logic_instance: comments on isOver "是否结束"',
      ],
    });
  });

  it('still refuses one real difference among tolerated ones, naming it, and lists both', () => {
    const tables = structuredClone(expectedSchema('0.7.7', 'mysql'));
    const instance = tables.find((t) => t.name === 'logic_instance')!;
    instance.columns.find((c) => c.name === 'retryTimes')!.type = 'bigint';
    instance.columns.reverse();
    const detection = detectSchemaVersion(tables, 'mysql', navicat);
    expect(detection).toMatchObject({
      kind: 'unknown',
      closest: '0.7.7',
      differences: ['logic_instance.retryTimes: type is "bigint", expected "int"'],
    });
    expect(detection.kind === 'unknown' && detection.tolerated).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^logic_instance: column order is/),
        'logic_instance: display widths on isOver tinyint(1)',
      ]),
    );
  });

  it("refuses a known table that is not InnoDB (no transactions), but not another application's", () => {
    const myisam: SchemaCosmetics = {
      ...navicat,
      tables: navicat.tables.map((t) => (t.table === 'logic_published' ? { ...t, engine: 'MyISAM' } : t)),
    };
    const detection = detectSchemaVersion(
      [...expectedSchema('0.8', 'mysql'), unrelatedTable('orders')],
      'mysql',
      myisam,
    );
    expect(detection).toMatchObject({
      kind: 'unknown',
      closest: '0.8',
      differences: ['logic_published: storage engine is MyISAM, expected InnoDB (transactions)'],
    });
  });

  it('refuses a prefix index on the same columns: it indexes less than the column holds', () => {
    const tables = structuredClone(expectedSchema('0.8', 'mysql'));
    tables.find((t) => t.name === 'logic_log')!.indexes[0].columns[0].length = 4;
    const detection = detectSchemaVersion(tables, 'mysql');
    expect(detection).toMatchObject({ kind: 'unknown', closest: '0.8' });
    expect(detection.kind === 'unknown' && detection.differences).toEqual([
      'logic_log: index logicId_bizId is (logicId(4), bizId), expected (logicId, bizId)',
    ]);
  });

  it('tolerates an ascending build of a descending index, and says so', () => {
    const tables = structuredClone(expectedSchema('0.8', 'mysql'));
    for (const column of tables
      .find((t) => t.name === 'logic_instance')!
      .indexes.find((i) => i.name === 'idx_bizId_parBizId_serverTime')!.columns)
      column.descending = false;
    expect(detectSchemaVersion(tables, 'mysql')).toEqual({
      kind: 'match',
      version: '0.8',
      otherTables: [],
      tolerated: [
        'logic_instance: index idx_bizId_parBizId_serverTime is (bizId ASC, parentBizId ASC, serverTime ASC), logic-solution declares (bizId DESC, parentBizId DESC, serverTime DESC)',
      ],
    });
  });

  it.each(SCHEMA_VERSIONS.slice(0, SCHEMA_VERSIONS.indexOf('ha-4')))(
    "recognises what logic-ha's migrations before ha-4 left at %s, saying ha-4 will align it",
    (version) => {
      const detection = detectSchemaVersion(schemaOfEarlierMigrations(version, 'mysql'), 'mysql');
      expect(detection).toMatchObject({
        kind: 'match',
        version,
        tolerated: [expect.stringContaining('ha-4 aligns them')],
      });
    },
  );
});
