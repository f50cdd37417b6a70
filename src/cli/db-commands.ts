import type { AppConfig } from '../config/app-config';
import type { KnownMigration } from '../database/migrator/known-migrations';
import { DatabaseState, pendingMigrations } from '../database/migrator/database-state';
import { SchemaMigrator } from '../database/migrator/schema-migrator';
import type { CliIo } from './backup-commands';
import { parseOptions } from './cli-args';
import { EXIT_FAILED, UsageError } from './cli-errors';
import { withMigrator } from './database-session';

/**
 * `db <validate|plan|baseline|repair>`: the schema history, Flyway-style. validate and plan
 * change nothing; baseline and repair change only the history, under the migration lock.
 */
export async function runDbCommand(args: string[], config: AppConfig, io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'validate':
      parseOptions(rest, {}, 0);
      return withMigrator(config, (migrator) => validate(migrator, io));
    case 'plan': {
      const { values } = parseOptions(rest, { sql: { type: 'boolean' } }, 0);
      return withMigrator(config, (migrator) => plan(migrator, io, values.sql ?? false));
    }
    case 'baseline':
      parseOptions(rest, {}, 0);
      return withMigrator(config, async (migrator) => {
        io.out(await migrator.baseline());
        return 0;
      });
    case 'repair': {
      const { values } = parseOptions(rest, { 'mark-applied': { type: 'string', multiple: true }, 'mark-reverted': { type: 'string', multiple: true } }, 0);
      return withMigrator(config, async (migrator) => {
        const result = await migrator.repair({ markApplied: values['mark-applied'], markReverted: values['mark-reverted'] });
        io.out(result);
        return result.remaining.ok ? 0 : EXIT_FAILED;
      });
    }
    default:
      throw new UsageError(`unknown db command ${JSON.stringify(command ?? '')}`);
  }
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
    pending: pending.map((m) => ({ name: m.name, schemaVersion: m.schemaVersion, checksum: m.checksum, statements: m.up.map((s) => s.sql) })),
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
