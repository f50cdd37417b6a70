import type { KnownMigration } from '../database/migrator/known-migrations';
import { type DatabaseState, pendingMigrations } from '../database/migrator/database-state';
import { type SchemaMigrator } from '../database/migrator/schema-migrator';
import type { Command } from 'commander';
import { collect, run } from './cli-args';
import { EXIT_FAILED } from './cli-errors';
import type { CliIo, CliRuntime } from './cli-runtime';
import { withMigrator } from './database-session';

/**
 * `db <validate|plan|baseline|repair>`: the schema history, Flyway-style, on a bare
 * connection. validate and plan change nothing; baseline and repair change only the
 * history, under the migration lock.
 */
export function registerDbCommands(program: Command, runtime: CliRuntime): void {
  const db = program.command('db').description('the schema history: validate, plan, baseline, repair');
  const withDb = <T>(work: (migrator: SchemaMigrator) => Promise<T>) => withMigrator(runtime.config(), work);
  db.command('validate')
    .description(
      'applied migrations vs this build: changed, missing, failed, pending (exit 1 when a start would refuse)',
    )
    .action(run(runtime, () => withDb((migrator) => validate(migrator, runtime.io))));
  db.command('plan')
    .description('pending migrations (after a baseline, if needed) and the SQL each would run; applies nothing')
    .option('--sql', 'print the SQL as a script instead of JSON')
    .action(
      run(runtime, (options: { sql?: boolean }) =>
        withDb((migrator) => plan(migrator, runtime.io, options.sql ?? false)),
      ),
    );
  db.command('baseline')
    .description('adopt a logic-solution database: detect its version, record its migrations as applied')
    .action(
      run(runtime, () =>
        withDb(async (migrator) => {
          runtime.io.out(await migrator.baseline());
          return 0;
        }),
      ),
    );
  db.command('repair')
    .description('accept changed checksums and failed attempts (after review); changes only the history')
    .option('--mark-applied <migration>', 'record an up() finished by hand (repeatable)', collect)
    .option('--mark-reverted <migration>', 'record a down() finished by hand (repeatable)', collect)
    .action(
      run(runtime, (options: { markApplied?: string[]; markReverted?: string[] }) =>
        withDb((migrator) => repair(migrator, options, runtime.io)),
      ),
    );
}

async function repair(
  migrator: SchemaMigrator,
  byHand: { markApplied?: string[]; markReverted?: string[] },
  io: CliIo,
): Promise<number> {
  const result = await migrator.repair(byHand);
  io.out(result);
  return result.remaining.ok ? 0 : EXIT_FAILED;
}

async function validate(migrator: SchemaMigrator, io: CliIo): Promise<number> {
  const state = await migrator.state();
  if (state.kind === 'unbaselined') {
    io.out({ ok: false, state: state.kind, detection: state.detection });
    return EXIT_FAILED;
  }
  io.out({ state: state.kind, ...state.validation });
  return state.validation.ok ? 0 : EXIT_FAILED;
}

/** The pending migrations and the SQL each would run; nothing is applied, no table is created. */
async function plan(migrator: SchemaMigrator, io: CliIo, asSql: boolean): Promise<number> {
  const state = await migrator.state();
  const pending = await migrator.planned(pendingMigrations(state));
  const baseline = state.kind === 'unbaselined' ? state.detection : null;
  if (asSql) {
    process.stdout.write(renderSql(state, pending));
    return 0;
  }
  io.out({
    state: state.kind,
    baseline,
    problems: state.kind === 'unbaselined' ? null : state.validation.ok ? null : state.validation,
    pending: pending.map((m) => ({
      name: m.name,
      schemaVersion: m.schemaVersion,
      checksum: m.checksum,
      statements: m.up.map((s) => s.sql),
    })),
  });
  return 0;
}

function renderSql(state: DatabaseState, pending: KnownMigration[]): string {
  const lines: string[] = [];
  if (state.kind === 'unbaselined') {
    lines.push(
      state.detection.kind === 'match'
        ? `-- baseline: the schema is ${state.detection.version}; its migrations are recorded as applied, nothing runs for them`
        : '-- the schema matches no known version: baseline would refuse it (run `db validate` for the differences)',
    );
  }
  if (pending.length === 0) lines.push('-- nothing pending');
  for (const migration of pending) {
    lines.push(`-- ${migration.name} (${migration.schemaVersion}) checksum ${migration.checksum}`);
    for (const statement of migration.up) lines.push(`${statement.sql.trim()};`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
