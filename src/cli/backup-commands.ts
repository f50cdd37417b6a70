import type { INestApplicationContext } from '@nestjs/common';
import { Argument, type Command, Option } from 'commander';
import {
  BackupLock,
  BackupMaintenanceService,
  BackupService,
  BackupStatus,
  createBackupReader,
  createRestoreService,
  rekeyBackups,
  BACKUP_STATES,
  BACKUP_TYPES,
  type BackupState,
  type BackupType,
  verifyChain,
  toBackupView,
  BackupCatalogService,
  ProgressTracker,
  describePlan,
  TestRestoreService,
  isBackupId,
} from '../backup';
import type { AppConfig } from '../config/app-config';
import { MAX_LIST_LIMIT, parseLimit, run } from './cli-args';
import { EXIT_FAILED, UsageError } from './cli-errors';
import type { CliIo, CliRuntime } from './cli-runtime';
import { showProgress } from './progress-display';

interface RestoreOptions {
  target: string;
  to?: string;
  force?: boolean;
  dryRun?: boolean;
  configsTo?: string;
}

/**
 * `backup <run|list|status|verify|restore|test-restore|expire|catalog rebuild>`. verify and restore read storage
 * alone, so they work with the database gone; the others share the service's modules.
 */
export function registerBackupCommands(program: Command, runtime: CliRuntime): void {
  const backup = program.command('backup').description('take, list, verify, restore and expire backups');
  const withApp = () => runtime.withApp('require-current');
  backup
    .command('run')
    .description('take a backup now and wait for it')
    .addArgument(new Argument('<type>', 'full, or incremental on top of the newest chain').choices(BACKUP_TYPES))
    .option('--tag <tag>', 'a label kept with the backup')
    .action(
      run(runtime, (type: BackupType, options: { tag?: string }) =>
        withApp()((app) => runBackup(app, type, options.tag ?? null, runtime.io)),
      ),
    );
  backup
    .command('status')
    .description('ages of the newest succeeded, verified and restore-verified backup (as GET /api/v1/backups/status)')
    .action(
      run(runtime, () =>
        withApp()(async (app) => {
          runtime.io.out(await app.get(BackupStatus).summary());
          return 0;
        }),
      ),
    );
  backup
    .command('list')
    .description('the catalog, newest first')
    .addOption(new Option('--state <state>', 'only backups in this state').choices(BACKUP_STATES))
    .option('--limit <n>', `at most this many (1 to ${MAX_LIST_LIMIT})`, parseLimit, MAX_LIST_LIMIT)
    .action(
      run(runtime, (options: { state?: BackupState; limit: number }) =>
        withApp()((app) => listBackups(app, options, runtime.io)),
      ),
    );
  backup
    .command('verify')
    .description("re-read the chain's files from storage (no database needed)")
    .argument('<id>', 'the backup id')
    .action(run(runtime, (id: string) => verify(runtime.config(), id, runtime.io)));
  backup
    .command('restore')
    .description('restore from storage alone (no database needed)')
    .argument('<id>', 'the backup to restore (its chain is found from it)')
    .requiredOption(
      '--target <mysql://…|/path.sqlite>',
      'where to: a MySQL URL, or the absolute path of a SQLite file (relative paths are refused; a missing folder is created, mode 0700)',
    )
    .option('--to <ISO time|GTID>', 'stop at this point in time (default: the end of the chain)')
    .option('--force', 'overwrite a target that is not empty')
    .option('--dry-run', 'print the chain it would apply and check the target; write nothing')
    .option('--configs-to <dir>', 'also extract the backed-up config files into this absolute path')
    .action(run(runtime, (id: string, options: RestoreOptions) => restore(runtime.config(), id, options, runtime.io)));
  backup
    .command('test-restore')
    .description(
      'restore the chain into a scratch database and compare every table with the fingerprints recorded at backup time',
    )
    .argument('<id>', 'the backup whose chain to check (the newest fingerprinted backup in it is compared)')
    .action(run(runtime, (id: string) => testRestore(id, withApp(), runtime.io)));
  backup
    .command('expire')
    .description('apply retention (BACKUP_RETAIN_FULL)')
    .option('--dry-run', 'print what would expire; remove nothing')
    .action(
      run(runtime, (options: { dryRun?: boolean }) =>
        withApp()((app) => expire(app, options.dryRun ?? false, runtime.io)),
      ),
    );
  backup
    .command('rekey')
    .description("re-wrap every encrypted backup's data key with the first key (storage alone; data files untouched)")
    .option('--dry-run', 'print what would be re-wrapped; write nothing')
    .action(
      run(runtime, (options: { dryRun?: boolean }) => rekey(runtime.config(), options.dryRun ?? false, runtime.io)),
    );
  backup
    .command('catalog')
    .description('the catalog (a table listing what storage holds)')
    .command('rebuild')
    .description('recreate the catalog from storage')
    .action(run(runtime, () => withApp()((app) => rebuildCatalog(app, runtime.io))));
}

async function runBackup(
  app: INestApplicationContext,
  type: BackupType,
  tag: string | null,
  io: CliIo,
): Promise<number> {
  const backups = app.get(BackupService);
  const started = await backups.start({ type, triggeredBy: 'manual', tag });
  const display = showProgress(() => backups.progressOf(started.id), io);
  try {
    await backups.waitFor(started.id);
  } finally {
    display.stop();
  }
  const view = await backups.view(started.id);
  io.out(view);
  return view?.state === 'succeeded' ? 0 : EXIT_FAILED;
}

async function listBackups(
  app: INestApplicationContext,
  options: { state?: BackupState; limit: number },
  io: CliIo,
): Promise<number> {
  const rows = await app.get(BackupCatalogService).list({ state: options.state, limit: options.limit });
  io.out(rows.map((row) => toBackupView(row)));
  return 0;
}

async function verify(config: AppConfig, id: string, io: CliIo): Promise<number> {
  const report = await verifyChain(createBackupReader(config), id);
  io.out(report);
  return report.ok ? 0 : EXIT_FAILED;
}

async function restore(config: AppConfig, backupId: string, options: RestoreOptions, io: CliIo): Promise<number> {
  const restores = createRestoreService(config, createBackupReader(config));
  const request = {
    backupId,
    target: options.target,
    to: options.to,
    force: options.force ?? false,
    configsTo: options.configsTo,
  };
  const plan = await restores.plan(request.backupId, request.to);
  if (options.dryRun) {
    restores.checkKeys(plan);
    await restores.checkTarget(plan, request.target, request.force);
    io.out({ dryRun: true, target: request.target, ...describePlan(plan) });
    return 0;
  }
  const progress = new ProgressTracker();
  const display = showProgress(() => progress.snapshot(), io);
  try {
    io.out(await restores.restore(request, progress, new AbortController().signal));
    return 0;
  } finally {
    display.stop();
  }
}

async function rekey(config: AppConfig, dryRun: boolean, io: CliIo): Promise<number> {
  // Offline, like verify: storage and keys only. The catalog's manifest copies follow on the
  // service's next `backup catalog rebuild` (or use POST /api/v1/backups/rekey, which updates them).
  const report = await rekeyBackups(createBackupReader(config), new BackupLock(config.backup.directory), dryRun);
  io.out(report);
  return report.failed.length === 0 ? 0 : EXIT_FAILED;
}

async function testRestore(id: string, withApp: ReturnType<CliRuntime['withApp']>, io: CliIo): Promise<number> {
  if (!isBackupId(id)) throw new UsageError(`<id> must be a backup id such as 20261127-020000-000F`);
  return withApp(async (app) => {
    const testRestores = app.get(TestRestoreService);
    const job = await testRestores.start(id);
    const display = showProgress(() => testRestores.view(job.id)?.progress ?? null, io);
    let report: Awaited<ReturnType<TestRestoreService['waitFor']>>;
    try {
      report = await testRestores.waitFor(job.id);
    } finally {
      display.stop();
    }
    io.out(report);
    return report.ok ? 0 : EXIT_FAILED;
  });
}

async function expire(app: INestApplicationContext, dryRun: boolean, io: CliIo): Promise<number> {
  io.out(await app.get(BackupMaintenanceService).expire(dryRun));
  return 0;
}

async function rebuildCatalog(app: INestApplicationContext, io: CliIo): Promise<number> {
  io.out(await app.get(BackupMaintenanceService).rebuildCatalog());
  return 0;
}
