import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';

/** Sends TypeORM's errors, warnings and migration progress through the app's logger. */
export class TypeOrmNestLogger implements TypeOrmLogger {
  private readonly logger = new Logger('Database');

  logQuery(): void {
    // Queries are not logged: they may carry personal data, and volume would drown the log.
  }
  logQueryError(error: string | Error, query: string): void {
    this.logger.warn({ msg: 'query failed', error: error instanceof Error ? error.message : error, query });
  }
  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ msg: 'slow query', ms: time, query });
  }
  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }
  logMigration(message: string): void {
    this.logger.log(message);
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
    else this.logger.log(String(message));
  }
}
