import 'reflect-metadata';
import { INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { runBackupCommand } from './cli/backup-commands';
import { CliNestLogger } from './cli/cli-logger';
import { EXIT_USAGE, UsageError } from './cli/cli-errors';
import { runDbCommand } from './cli/db-commands';
import { runFailoverCommand } from './cli/failover-commands';
import { runRollbackCommand, runUpgradeCommand } from './cli/upgrade-commands';
import { DomainError } from './common/errors/domain-error';
import { createRootLogger } from './common/logging/root-logger';
import { PinoNestLogger } from './common/logging/pino-nest.logger';
import { AppConfig } from './config/app-config';
import type { SchemaOnStart } from './database/database.module';
import { loadAppConfigOrExit } from './config/load-or-exit';
import { INSTANCE_JOB_NAMES, InstanceJobName } from './instances/jobs/instance-job';
import { InstanceJobsService } from './instances/jobs/instance-jobs.service';

const USAGE = `usage: logic-ha <command>

commands:
  instances run-job <${INSTANCE_JOB_NAMES.join('|')}>   run one recovery job now and print its report
  backup run <full|incremental> [--tag <tag>]        take a backup now and wait for it
  backup list [--state <state>]                      the catalog, newest first
  backup verify <id>                                 re-read the chain's files from storage (no database needed)
  backup restore <id> --target <mysql://…|/path.sqlite> [--to <ISO time|GTID>] [--force] [--dry-run] [--configs-to <dir>]
                                                     restore from storage alone (no database needed)
  backup expire [--dry-run]                          apply retention (BACKUP_RETAIN_FULL)
  backup catalog rebuild                             recreate the catalog from storage
  failover status                                    the topology file: epoch, primary, fenced servers (no database needed)
  db validate                                        applied migrations vs this build: changed, missing, failed, pending
  db plan [--sql]                                    pending migrations and the SQL each would run; applies nothing
  db baseline                                        adopt a logic-solution database: detect its version, record its migrations
  db repair [--mark-applied|--mark-reverted <m>]    accept changed checksums and failed attempts (after review);
                                                     --mark-applied / --mark-reverted: an up() / down() finished by hand
  upgrade [--baseline]                               tagged full backup, then every pending migration under the lock
  rollback --to <migration|version> [--yes]          run down() back to that migration (a backup is taken first)
  rollback --restore [<backup-id>] [--target <…>] [--yes]
                                                     restore a backup (default: the newest pre-upgrade one) over the database

Configuration comes from the same environment variables as the service.
Results are JSON on stdout; logs and progress go to stderr.`;

const GROUPS = ['instances', 'backup', 'failover', 'db', 'upgrade', 'rollback'];

const io = {
  out: (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`),
  err: (value: unknown) => process.stderr.write(`${JSON.stringify(value)}\n`),
};

/** Logs go to stderr so stdout carries only the result. */
function cliLogger(config: AppConfig) {
  return createRootLogger(config.log.level === 'info' ? 'warn' : config.log.level, process.stderr);
}

/**
 * Only `upgrade` and `rollback` (and the `db` commands, on a bare connection) change the
 * schema; every other command refuses a database that is not at this build's version.
 */
function withAppFor(config: AppConfig, schemaOnStart: SchemaOnStart = 'require-current') {
  return async <T>(work: (app: INestApplicationContext) => Promise<T>): Promise<T> => {
    const rootLogger = cliLogger(config);
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, rootLogger, { runSchedules: false, schemaOnStart }), {
      logger: new CliNestLogger(rootLogger),
      abortOnError: false,
    });
    try {
      return await work(app);
    } finally {
      await app.close();
    }
  };
}

async function runInstanceJob(args: string[], config: AppConfig): Promise<number> {
  const [command, job, ...rest] = args;
  if (command !== 'run-job') throw new UsageError(`unknown command "instances ${command ?? ''}"`);
  if (!INSTANCE_JOB_NAMES.includes(job as InstanceJobName)) {
    throw new UsageError(`job must be one of ${INSTANCE_JOB_NAMES.join(', ')} (got ${JSON.stringify(job ?? '')})`);
  }
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  return withAppFor(config)(async (app) => {
    io.out(await app.get(InstanceJobsService).run(job as InstanceJobName, 'manual'));
    return 0;
  });
}

async function main(): Promise<number> {
  const [group, ...args] = process.argv.slice(2);
  if (group === undefined || group === '--help' || group === '-h') throw new UsageError('a command is required');
  if (!GROUPS.includes(group)) throw new UsageError(`unknown command "${group}"`);
  const config = loadAppConfigOrExit(process.env);
  // Commands without a Nest app log through Nest's static Logger too: to stderr, not stdout.
  Logger.overrideLogger(new PinoNestLogger(cliLogger(config)));
  switch (group) {
    case 'instances':
      return runInstanceJob(args, config);
    case 'failover':
      return runFailoverCommand(args, config, io);
    case 'db':
      return runDbCommand(args, config, io);
    // Both back up before they change the schema, so the app context must not migrate first.
    case 'upgrade':
      return runUpgradeCommand(args, config, withAppFor(config, 'as-is'), io);
    case 'rollback':
      return runRollbackCommand(args, config, withAppFor(config, 'as-is'), io);
    default:
      return runBackupCommand(args, config, withAppFor(config), io);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`logic-ha: ${error.message}\n\n${USAGE}\n`);
      process.exit(EXIT_USAGE);
    }
    const code = error instanceof DomainError ? ` [${error.code}]` : '';
    process.stderr.write(`logic-ha${code}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
