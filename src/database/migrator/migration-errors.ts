/** Stable codes of schema-migration failures, for scripts reading the CLI's JSON. */
export enum MigrationErrorCode {
  LockTimeout = 'MIGRATION_LOCK_TIMEOUT',
  LockLost = 'MIGRATION_LOCK_LOST',
  ValidationFailed = 'SCHEMA_VALIDATION_FAILED',
  NotBaselined = 'SCHEMA_NOT_BASELINED',
  NotCurrent = 'SCHEMA_NOT_CURRENT',
  UnknownSchema = 'SCHEMA_UNKNOWN',
  NothingToBaseline = 'NOTHING_TO_BASELINE',
  MigrationFailed = 'MIGRATION_FAILED',
  UnknownTarget = 'MIGRATION_TARGET_UNKNOWN',
}
