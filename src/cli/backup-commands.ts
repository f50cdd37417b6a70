import type { INestApplicationContext } from '@nestjs/common';
import { BackupMaintenanceService } from '../backup/backup-maintenance.service';
import { BackupReader } from '../backup/backup-reader';
import { BackupService } from '../backup/backup.service';
import { createBackupStorage, createRestoreService } from '../backup/backup-tools';
import { BACKUP_STATES, BACKUP_TYPES, BackupState, BackupType } from '../backup/backup.types';
import { verifyChain } from '../backup/backup-verify.service';
import { toBackupView } from '../backup/backup-view';
import { BackupCatalogService } from '../backup/catalog/backup-catalog.service';
import { ProgressTracker } from '../backup/progress';
import { describePlan } from '../backup/restore.service';
import type { AppConfig } from '../config/app-config';
import { parseOptions } from './cli-args';
import { EXIT_FAILED, UsageError } from './cli-errors';

const PROGRESS_EVERY_MS = 2000;

export interface CliIo {
  out(value: unknown): void;
  err(value: unknown): void;
}

/** Commands that need the service's modules (and so its database). */
export type WithApp = <T>(work: (app: INestApplicationContext) => Promise<T>) => Promise<T>;

/**
 * `backup <run|list|verify|restore|expire|catalog>`. verify and restore read storage
 * alone, so they work with the database gone; the others share the service's modules.
 */
export async function runBackupCommand(args: string[], config: AppConfig, withApp: WithApp, io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'run':
      return withApp((app) => runBackup(app, rest, io));
    case 'list':
      return withApp((app) => listBackups(app, rest, io));
    case 'verify':
      return verify(config, rest, io);
    case 'restore':
      return restore(config, rest, io);
    case 'expire':
      return withApp((app) => expire(app, rest, io));
    case 'catalog':
      if (rest[0] !== 'rebuild' || rest.length !== 1) throw new UsageError('usage: backup catalog rebuild');
      return withApp(async (app) => {
        io.out(await app.get(BackupMaintenanceService).rebuildCatalog());
        return 0;
      });
    default:
      throw new UsageError(`unknown backup command ${JSON.stringify(command ?? '')}`);
  }
}

async function runBackup(app: INestApplicationContext, args: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseOptions(args, { tag: { type: 'string' } });
  const [type, ...extra] = positionals;
  if (!BACKUP_TYPES.includes(type as BackupType) || extra.length > 0) throw new UsageError(`backup run needs a type: ${BACKUP_TYPES.join(' or ')}`);
  const backups = app.get(BackupService);
  const started = await backups.start({ type: type as BackupType, triggeredBy: 'manual', tag: values.tag ?? null });
  await backups.waitFor(started.id);
  const view = await backups.view(started.id);
  io.out(view);
  return view?.state === 'succeeded' ? 0 : EXIT_FAILED;
}

async function listBackups(app: INestApplicationContext, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(args, { state: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
  if (values.state !== undefined && !BACKUP_STATES.includes(values.state as BackupState)) throw new UsageError(`--state must be one of ${BACKUP_STATES.join(', ')}`);
  const rows = await app.get(BackupCatalogService).list({ state: values.state as BackupState | undefined, limit: 1000 });
  io.out(rows.map((row) => toBackupView(row)));
  return 0;
}

async function verify(config: AppConfig, args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseOptions(args, {});
  if (positionals.length !== 1) throw new UsageError('usage: backup verify <id>');
  const report = await verifyChain(new BackupReader(createBackupStorage(config)), positionals[0]);
  io.out(report);
  return report.ok ? 0 : EXIT_FAILED;
}

async function restore(config: AppConfig, args: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseOptions(args, {
    target: { type: 'string' },
    to: { type: 'string' },
    force: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    'configs-to': { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('usage: backup restore <id> --target <mysql://… | /path/file.sqlite> [--to <ISO time | GTID>] [--force] [--dry-run] [--configs-to <dir>]');
  if (!values.target) throw new UsageError('--target is required');
  const restores = createRestoreService(config, new BackupReader(createBackupStorage(config)));
  const request = { backupId: positionals[0], target: values.target, to: values.to, force: values.force ?? false, configsTo: values['configs-to'] };
  const plan = await restores.plan(request.backupId, request.to);
  if (values['dry-run']) {
    await restores.checkTarget(plan, request.target, request.force);
    io.out({ dryRun: true, target: request.target, ...describePlan(plan) });
    return 0;
  }
  const progress = new ProgressTracker();
  const ticker = setInterval(() => io.err({ progress: progress.snapshot() }), PROGRESS_EVERY_MS);
  try {
    io.out(await restores.restore(request, progress, new AbortController().signal));
    return 0;
  } finally {
    clearInterval(ticker);
  }
}

async function expire(app: INestApplicationContext, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOptions(args, { 'dry-run': { type: 'boolean' } });
  if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
  io.out(await app.get(BackupMaintenanceService).expire(values['dry-run'] ?? false));
  return 0;
}
