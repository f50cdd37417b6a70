import { type INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { PinoNestLogger } from '../common/logging/pino-nest.logger';
import type { AppConfig } from '../config/app-config';
import { loadAppConfigOrExit } from '../config/load-or-exit';
import type { SchemaOnStart } from '../database/database.module';
import { CliNestLogger, cliLogger } from './cli-logger';

export interface CliIo {
  out(value: unknown): void;
  err(value: unknown): void;
}

/** Commands that need the service's modules (and so its database). */
export type WithApp = <T>(work: (app: INestApplicationContext) => Promise<T>) => Promise<T>;

/** Results are one JSON line on stdout; progress and logs go to stderr. */
export const cliIo: CliIo = {
  out: (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`),
  err: (value: unknown) => process.stderr.write(`${JSON.stringify(value)}\n`),
};

/**
 * What a command needs beyond its arguments. The configuration is read when a command
 * runs, not before parsing, so `--help` and `--version` work with no environment at all.
 */
export class CliRuntime {
  readonly io = cliIo;
  /** Set by the command that ran; main() exits with it. */
  exitCode = 0;
  private loaded: AppConfig | null = null;

  /** The service's configuration; exits 78 when it is invalid. */
  config(): AppConfig {
    if (!this.loaded) {
      this.loaded = loadAppConfigOrExit(process.env);
      // Commands without a Nest app log through Nest's static Logger too: to stderr, not stdout.
      Logger.overrideLogger(new PinoNestLogger(cliLogger(this.loaded)));
    }
    return this.loaded;
  }

  /**
   * The service's modules, without schedules. Only `upgrade` and `rollback` open the
   * database `as-is` (they back up, then change the schema themselves); every other
   * command refuses a database that is not at this build's version (`require-current`).
   */
  withApp(schemaOnStart: Exclude<SchemaOnStart, 'migrate'>): WithApp {
    const config = this.config();
    return async (work) => {
      const rootLogger = cliLogger(config);
      const app = await NestFactory.createApplicationContext(
        AppModule.forRoot(config, rootLogger, { runSchedules: false, schemaOnStart }),
        {
          logger: new CliNestLogger(rootLogger),
          abortOnError: false,
        },
      );
      try {
        return await work(app);
      } finally {
        await app.close();
      }
    };
  }
}
