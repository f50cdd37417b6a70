import 'reflect-metadata';
import { CommanderError } from 'commander';
import { EXIT_USAGE } from './cli/cli-errors';
import { CliRuntime } from './cli/cli-runtime';
import { buildProgram } from './cli/program';
import { DomainError } from './common/errors/domain-error';

/** The exit code of a command line commander handled itself: help and version are 0, anything else a usage error. */
function exitCodeOf(error: CommanderError): number {
  return error.exitCode === 0 ? 0 : EXIT_USAGE;
}

async function main(): Promise<number> {
  const runtime = new CliRuntime();
  try {
    await buildProgram(runtime).parseAsync(process.argv);
  } catch (error) {
    // Already printed by commander: the message and the usage of the command concerned.
    if (error instanceof CommanderError) return exitCodeOf(error);
    throw error;
  }
  return runtime.exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const code = error instanceof DomainError ? ` [${error.code}]` : '';
    process.stderr.write(`logic-ha${code}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
