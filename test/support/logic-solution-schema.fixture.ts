import type { TableShape } from '../../src/database/schema-inspector';
import { SchemaEngine, SchemaVersion, expectedSchema } from '../../src/database/schema/known-schemas';

/** The expected shapes live with the code that recognises databases by them. */
export { SCHEMA_VERSIONS, expectedSchema } from '../../src/database/schema/known-schemas';
export type { SchemaEngine, SchemaVersion } from '../../src/database/schema/known-schemas';

/**
 * What logic-ha's own migrations leave at `version`, walking up from an empty database:
 * before ha-4 they left out three of logic-solution's defaults and (on MariaDB) named
 * logic_log's index their own way; ha-4 aligns both, and from then on it is expectedSchema.
 */
export function schemaOfMigrationsAt(version: SchemaVersion, engine: SchemaEngine): TableShape[] {
  const tables = expectedSchema(version, engine);
  if (version === 'ha-4') return tables;
  const column = (table: string, name: string) => tables.find((t) => t.name === table)!.columns.find((c) => c.name === name)!;
  column('logic_instance', 'serverTime').default = null;
  column('logic_log', 'serverTime').default = null;
  column('logic_published', 'publishTime').onUpdateCurrentTimestamp = false;
  tables.find((t) => t.name === 'logic_log')!.indexes[0].name = 'idx_logic_log_logicId_bizId';
  return tables;
}
