import { type Command, InvalidArgumentError } from 'commander';
import { MIGRATIONS } from '../../migrations';
import { EXIT_USAGE, UsageError } from './cli-errors';
import type { CliRuntime } from './cli-runtime';

/**
 * Wraps a command's work for commander: its exit code goes to the runtime, and a
 * UsageError it throws (options that parse alone but not together) is reported like
 * commander's own: the message, that command's usage, exit 2.
 */
export function run<A extends unknown[]>(runtime: CliRuntime, work: (...args: A) => Promise<number>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    try {
      runtime.exitCode = await work(...(args.slice(0, -1) as A));
    } catch (error) {
      if (error instanceof UsageError) command.error(error.message, { exitCode: EXIT_USAGE, code: 'logic-ha.usage' });
      throw error;
    }
  };
}

export const MAX_LIST_LIMIT = 1000;

/** `--limit N`: a whole number from 1 to 1000 (the most one call lists). */
export function parseLimit(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_LIST_LIMIT) {
    throw new InvalidArgumentError(`It must be a whole number from 1 to ${MAX_LIST_LIMIT}.`);
  }
  return Number(value);
}

/** For options given more than once (`--mark-applied A --mark-applied B`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** This build's migrations as `rollback --to` may name them, known without a database. */
const TARGETS = MIGRATIONS.map((migration) => ({
  name: migration.name,
  timestamp: migration.name.slice(-13),
  schemaVersion: new migration().schemaVersion,
}));

/**
 * `rollback --to`: a migration's class name, its 13-digit timestamp or the schema version it
 * leaves. Checked against this build before any connection, so a typo is a usage error;
 * whether it is applied to the database is the command's to find out.
 */
export function parseMigrationTarget(value: string): string {
  if (value === '') throw new InvalidArgumentError('It needs a migration name or schema version.');
  if (!TARGETS.some((t) => value === t.name || value === t.timestamp || value === t.schemaVersion)) {
    throw new InvalidArgumentError(
      `It is not a migration of this build; use one of: ${TARGETS.map((t) => `${t.schemaVersion} (${t.name})`).join(', ')}.`,
    );
  }
  return value;
}
