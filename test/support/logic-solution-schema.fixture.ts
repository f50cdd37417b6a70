import type { TableShape } from '../../src/database/schema-inspector';
import {
  SCHEMA_VERSIONS,
  type SchemaEngine,
  type SchemaVersion,
  expectedSchema,
  schemaOfEarlierMigrations,
} from '../../src/database/schema/known-schemas';

/** The expected shapes live with the code that recognises databases by them. */
export { SCHEMA_VERSIONS, expectedSchema } from '../../src/database/schema/known-schemas';
export type { SchemaEngine, SchemaVersion } from '../../src/database/schema/known-schemas';

/** What logic-ha's own migrations leave at `version`, walking up from an empty database: ha-4 aligns the rest. */
export function schemaOfMigrationsAt(version: SchemaVersion, engine: SchemaEngine): TableShape[] {
  return SCHEMA_VERSIONS.indexOf(version) >= SCHEMA_VERSIONS.indexOf('ha-4')
    ? expectedSchema(version, engine)
    : schemaOfEarlierMigrations(version, engine);
}
