import type { Logger } from 'typeorm';

/** A TypeORM logger that keeps every query with its parameters, for EXPLAIN and batch-size checks. */
export class RecordingLogger implements Logger {
  queries: { sql: string; parameters: unknown[] }[] = [];

  logQuery(sql: string, parameters?: unknown[]): void {
    this.queries.push({ sql, parameters: parameters ?? [] });
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}

  clear(): void {
    this.queries = [];
  }
}
