import { DataSource } from 'typeorm';
import { createBackupReader, createRestoreService, PreChangeBackupService, ProgressTracker } from '../backup';
import type { AppConfig } from '../config/app-config';
import { type MysqlEndpoint, isParseError, parseMysqlUrl } from '../config/mysql-url';
import { migrationLockForTarget } from '../database/migrator/migration-lock';
import { inspectSchema } from '../database/schema-inspector';
import { planRevert, newestPreUpgradeBackup, restoreTargetOf, rollbackTo, upgrade } from '../upgrade';
import type { Command } from 'commander';
import { parseMigrationTarget, run } from './cli-args';
import { EXIT_FAILED, UsageError } from './cli-errors';
import type { CliIo, CliRuntime, WithApp } from './cli-runtime';
import { showProgress } from './progress-display';
import { confirm } from './confirm';
import { migratorFor } from './database-session';
import { withTopology } from './topology-session';

interface RollbackOptions {
  to?: string;
  restore?: boolean;
  target?: string;
  yes?: boolean;
}

/**
 * `upgrade` and `rollback`: the commands that change the schema (see UPGRADING.md). Both
 * open the database as it is: they take their backup before they change anything.
 */
export function registerUpgradeCommands(program: Command, runtime: CliRuntime): void {
  const withApp = () => runtime.withApp('as-is');
  program
    .command('upgrade')
    .description('tagged full backup, then every pending migration, under the migration lock')
    .option('--baseline', 'adopt a logic-solution database first (as `db baseline`, after the backup)')
    .action(
      run(runtime, (options: { baseline?: boolean }) =>
        runUpgrade(options.baseline ?? false, runtime.config(), withApp(), runtime.io),
      ),
    );
  program
    .command('rollback')
    .description('run down() back to a migration (a backup is taken first), or restore a backup over the database')
    .usage(
      '--to <migration|version> [--yes]\n       logic-ha rollback --restore [<backup-id>] [--target <mysql://…|/path.sqlite>] [--yes]',
    )
    .argument('[backup-id]', 'with --restore: the backup to restore (default: the newest pre-upgrade one)')
    .option(
      '--to <migration|version>',
      "a migration's class name or timestamp, or the schema version it leaves (0.7.4, ha-2)",
      parseMigrationTarget,
    )
    .option('--restore', 'restore a backup over the database instead of running down()')
    .option(
      '--target <mysql://…|/path.sqlite>',
      'with --restore: restore there instead (a SQLite path must be absolute)',
    )
    .option('--yes', 'do not ask for confirmation')
    .action(
      run(runtime, (backupId: string | undefined, options: RollbackOptions) => runRollback(backupId, options, runtime)),
    );
}

/** `upgrade [--baseline]`: backup, then every pending migration. */
async function runUpgrade(baseline: boolean, config: AppConfig, withApp: WithApp, io: CliIo): Promise<number> {
  return withApp(async (app) => {
    const dataSource = app.get(DataSource);
    const backups = app.get(PreChangeBackupService);
    const catalog = { exists: () => backups.catalogExists(), rebuild: () => backups.rebuildCatalog() };
    const report = await upgrade(
      {
        migrator: migratorFor(dataSource, config),
        backups,
        catalog,
        inspect: () => inspectSchema(dataSource),
        progress: (event) => io.err(event),
      },
      { baseline: baseline || config.migrations.baselineOnStart },
    );
    io.out(report);
    if (report.ok) return 0;
    const where = report.failed
      ? `${report.failed.migration ? ` at ${report.failed.migration}` : ''} [${report.failed.code ?? 'ERROR'}]: ${report.failed.error}`
      : `: the schema reached differs from ${report.to}: ${report.schemaDifferences.join('; ')}`;
    const next = report.rollbackCommand
      ? `To return to the data as it was before the upgrade, stop every logic-ha node and run:\n  ${report.rollbackCommand}`
      : 'Nothing was changed.';
    process.stderr.write(`logic-ha: upgrade stopped${where}\nThe migration lock is released. ${next}\n`);
    return EXIT_FAILED;
  });
}

/** `rollback --to <migration> | --restore [<backup-id>]`, each confirmed unless `--yes`. */
async function runRollback(
  backupId: string | undefined,
  options: RollbackOptions,
  runtime: CliRuntime,
): Promise<number> {
  if ((options.to === undefined) === (options.restore === undefined))
    throw new UsageError('rollback needs exactly one of --to <migration> or --restore [<backup-id>]');
  if (options.to !== undefined && (backupId !== undefined || options.target !== undefined))
    throw new UsageError('--to takes no backup id and no --target');
  if (options.to !== undefined)
    return rollbackToMigration(
      options.to,
      options.yes ?? false,
      runtime.config(),
      runtime.withApp('as-is'),
      runtime.io,
    );
  return rollbackByRestore(backupId, options.target, options.yes ?? false, runtime.config(), runtime.io);
}

async function rollbackToMigration(
  spec: string,
  yes: boolean,
  config: AppConfig,
  withApp: WithApp,
  io: CliIo,
): Promise<number> {
  return withApp(async (app) => {
    const migrator = migratorFor(app.get(DataSource), config);
    const plan = await planRevert(migrator, spec);
    if (plan.toRevert.length === 0) {
      io.out({ reverted: [], message: `already at ${plan.target.schemaVersion}: nothing to revert` });
      return 0;
    }
    const question = [
      `rollback will run down() of ${plan.toRevert.length} migration(s), newest first, to go from ${plan.from} back to ${plan.target.schemaVersion}:`,
      ...plan.toRevert.map(
        (m) => `  - ${m.name} (${m.schemaVersion}): ${m.down.map((s) => s.sql.replace(/\s+/g, ' ').trim()).join('; ')}`,
      ),
      'Data in the columns and tables these drop is lost from the database; a full backup (pre-rollback-…) is taken first.',
    ].join('\n');
    if (!yes && !(await confirm(question))) return notConfirmed(io);
    io.out(
      await rollbackTo(
        { migrator, backups: app.get(PreChangeBackupService), progress: (event) => io.err(event) },
        plan,
      ),
    );
    return 0;
  });
}

async function rollbackByRestore(
  backupId: string | undefined,
  targetOption: string | undefined,
  yes: boolean,
  config: AppConfig,
  io: CliIo,
): Promise<number> {
  const reader = createBackupReader(config);
  const manifest = backupId ? await reader.manifest(backupId) : await newestPreUpgradeBackup(reader);
  const target = targetOption ?? (await withTopology(config, (topology) => restoreTargetOf(config, topology)));
  const restores = createRestoreService(config, reader);
  const plan = await restores.plan(manifest.id);
  const question = [
    `rollback will replace the database ${describeTarget(target)} with backup ${manifest.id} (tag ${manifest.tag ?? 'none'}, taken ${manifest.finishedAt}, schema ${manifest.schemaVersion ?? 'unknown'}).`,
    `Everything written to it after ${plan.reaches} is lost. Stop every logic-ha node first (see UPGRADING.md).`,
  ].join('\n');
  if (!yes && !(await confirm(question))) return notConfirmed(io);
  // The migration lock: a node starting meanwhile waits (it locks before it opens the database) for the restored one.
  const lock = await migrationLockForTarget(lockTargetOf(target)).acquire(config.migrations.lockTimeoutMs);
  const progress = new ProgressTracker();
  const display = showProgress(() => progress.snapshot(), io);
  try {
    const result = await restores.restore(
      { backupId: manifest.id, target, force: true },
      progress,
      new AbortController().signal,
    );
    io.out({ ...result, target: describeTarget(target), tag: manifest.tag, schemaVersion: manifest.schemaVersion });
    return 0;
  } finally {
    display.stop();
    await lock.release();
  }
}

function lockTargetOf(target: string): MysqlEndpoint | string {
  if (!/^(mysql|mariadb):\/\//.test(target)) return target;
  const endpoint = parseMysqlUrl(target);
  if (isParseError(endpoint)) throw new UsageError(`--target ${endpoint.error}`);
  return endpoint;
}

function notConfirmed(io: CliIo): number {
  io.err({ error: 'not confirmed: nothing was changed' });
  return EXIT_FAILED;
}

/** A MySQL URL without its password, for messages. */
function describeTarget(target: string): string {
  return target.replace(/^(mysql|mariadb):\/\/([^:@/]*)(:[^@/]*)?@/, '$1://$2@');
}
