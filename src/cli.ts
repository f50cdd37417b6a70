import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { createRootLogger } from './common/logging/root-logger';
import { PinoNestLogger } from './common/logging/pino-nest.logger';
import { loadAppConfigOrExit } from './config/load-or-exit';
import { INSTANCE_JOB_NAMES, InstanceJobName } from './instances/jobs/instance-job';
import { InstanceJobsService } from './instances/jobs/instance-jobs.service';

const USAGE = `usage: logic-ha <command>

commands:
  instances run-job <${INSTANCE_JOB_NAMES.join('|')}>   run one recovery job now and print its report

Configuration comes from the same environment variables as the service.`;

/** Exit code for a command line the CLI does not understand. */
const EXIT_USAGE = 2;

function usageError(message: string): never {
  process.stderr.write(`logic-ha: ${message}\n\n${USAGE}\n`);
  process.exit(EXIT_USAGE);
}

function parseJob(args: string[]): InstanceJobName {
  const [group, command, job, ...rest] = args;
  if (group === undefined || group === '--help' || group === '-h') usageError('a command is required');
  if (group !== 'instances' || command !== 'run-job') usageError(`unknown command "${[group, command].filter(Boolean).join(' ')}"`);
  if (!INSTANCE_JOB_NAMES.includes(job as InstanceJobName)) {
    usageError(`job must be one of ${INSTANCE_JOB_NAMES.join(', ')} (got ${JSON.stringify(job ?? '')})`);
  }
  if (rest.length > 0) usageError(`unexpected arguments: ${rest.join(' ')}`);
  return job as InstanceJobName;
}

async function main(): Promise<void> {
  const job = parseJob(process.argv.slice(2));
  const config = loadAppConfigOrExit(process.env);
  // Logs go to stderr so stdout carries only the report.
  const rootLogger = createRootLogger(config.log.level === 'info' ? 'warn' : config.log.level, process.stderr);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, rootLogger, { runSchedules: false }), {
    logger: new PinoNestLogger(rootLogger),
    abortOnError: false,
  });
  try {
    const report = await app.get(InstanceJobsService).run(job, 'manual');
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`logic-ha: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
