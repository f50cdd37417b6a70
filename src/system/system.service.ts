import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { ROOT_LOGGER } from '../common/logging/logging.module';
import type { LogLevel } from '../config/app-config';
import { AppConfig } from '../config/app-config';
import { SchemaStatus, SchemaStatusService } from '../database/schema-status.service';
import { APP_VERSION } from '../common/app-version';

export interface SystemInfo {
  name: 'logic-ha';
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  logLevel: string;
  database: { type: AppConfig['database']['type']; schema: SchemaStatus };
}

@Injectable()
export class SystemService {
  private readonly logger = new Logger(SystemService.name);
  private readonly startedAt = new Date();

  constructor(
    private readonly config: AppConfig,
    private readonly schema: SchemaStatusService,
    @Inject(ROOT_LOGGER) private readonly rootLogger: PinoLogger,
  ) {}

  async info(): Promise<SystemInfo> {
    return {
      name: 'logic-ha',
      version: APP_VERSION,
      startedAt: this.startedAt.toISOString(),
      uptimeSeconds: Math.round(process.uptime()),
      logLevel: this.rootLogger.level,
      database: { type: this.config.database.type, schema: await this.schema.status() },
    };
  }

  /** Changes the level of every logger from the next line on, without a restart (for a 3 a.m. debug session). */
  setLogLevel(level: LogLevel): { previous: string; level: LogLevel } {
    const previous = this.rootLogger.level;
    this.rootLogger.level = level;
    this.logger.warn({ msg: 'log level changed', previous, level });
    return { previous, level };
  }
}
