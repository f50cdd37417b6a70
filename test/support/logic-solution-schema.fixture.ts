/** The expected shapes live with the code that recognises databases by them. */
export { SCHEMA_VERSIONS, expectedSchema } from '../../src/database/schema/known-schemas';
export type { SchemaVersion } from '../../src/database/schema/known-schemas';
