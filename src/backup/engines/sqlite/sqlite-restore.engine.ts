import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import { DomainError, ErrorKind } from '../../../common/errors/domain-error';
import { BackupErrorCode } from '../../backup.errors';
import type { BackupManifest, SqlitePosition } from '../../backup.types';
import { openStoredFile } from '../../streams/read-file';
import { type RestoreContext, RestoreEngine, type RestoreOutcome, sealOf } from '../restore-engine';
import { type DeltaHeader, readDelta } from './page-delta';
import { readPages } from './sqlite-pages';

/**
 * Restores a SQLite chain into a file path: the full copy, then each delta's pages in
 * order, truncated to the final page count. The result must hash to the sha256 the last
 * backup recorded, or nothing is put in place.
 */
export class SqliteRestoreEngine extends RestoreEngine {
  readonly name = 'sqlite' as const;

  async checkTarget(target: string, force: boolean): Promise<void> {
    // The API and the CLI run in different directories: a relative path would land somewhere unexpected.
    if (!isAbsolute(target)) {
      throw new DomainError(
        BackupErrorCode.TargetRefused,
        ErrorKind.InvalidInput,
        `target must be an absolute path to a SQLite file (got ${JSON.stringify(target)}); relative paths are refused`,
        {
          details: { field: 'target' },
        },
      );
    }
    // stat, not lstat: a parent folder reached through a symlink (/srv/restore -> /mnt/big) is fine.
    const parent = await stat(dirname(target)).catch(() => null);
    if (parent && !parent.isDirectory())
      throw new DomainError(
        BackupErrorCode.TargetRefused,
        ErrorKind.InvalidInput,
        `target ${target}: ${dirname(target)} is not a directory`,
        { details: { field: 'target' } },
      );
    const existing = await lstat(target).catch(() => null);
    if (existing?.isDirectory())
      throw new DomainError(BackupErrorCode.TargetRefused, ErrorKind.InvalidInput, `target ${target} is a directory`, {
        details: { field: 'target' },
      });
    if (existing && existing.size > 0 && !force) {
      throw new DomainError(
        BackupErrorCode.TargetNotEmpty,
        ErrorKind.Conflict,
        `target ${target} exists (${existing.size} bytes); restore refuses to overwrite it unless forced`,
      );
    }
  }

  async restore(context: RestoreContext): Promise<RestoreOutcome> {
    const [full, ...incrementals] = context.chain;
    const staging = `${context.target}.restoring`;
    // A missing folder is created, owner-only, as pgBackRest does for its data directory
    // since 2.35: restoring to a new place is the usual case (a copy to inspect, a new
    // server), and a missing folder is not a mistake worth a second command. The folder
    // holds a whole database, so 0700, like DATA_DIR's files.
    await mkdir(dirname(context.target), { recursive: true, mode: 0o700 });
    await rm(staging, { force: true });
    try {
      await this.writeFull(context, full, staging);
      for (const backup of incrementals) await this.applyDelta(context, backup, staging);
      await this.assertExact(staging, context.chain[context.chain.length - 1]);
      await Promise.all(
        ['-wal', '-shm', '-journal'].map((suffix) => rm(`${context.target}${suffix}`, { force: true })),
      );
      await rename(staging, context.target);
    } catch (error) {
      await rm(staging, { force: true });
      throw error;
    }
    return { rowCounts: rowCounts(context.target) };
  }

  private async writeFull(context: RestoreContext, full: BackupManifest, path: string): Promise<void> {
    const file = full.files.find((f) => f.role === 'database');
    if (!file)
      throw new DomainError(
        BackupErrorCode.Corrupt,
        ErrorKind.Conflict,
        `full backup ${full.id} holds no database file`,
      );
    context.progress.enter('database', file.sizeBytes);
    await pipeline(
      openStoredFile(context.storage, full.id, file, context.progress.addBytes, sealOf(context, full.id)),
      createWriteStream(path),
      {
        signal: context.signal,
      },
    );
    context.progress.fileDone();
  }

  private async applyDelta(context: RestoreContext, backup: BackupManifest, path: string): Promise<void> {
    const file = backup.files.find((f) => f.role === 'delta');
    if (!file)
      throw new DomainError(BackupErrorCode.Corrupt, ErrorKind.Conflict, `incremental ${backup.id} holds no delta`);
    context.progress.enter(`delta ${backup.id}`, file.sizeBytes);
    const handle = await open(path, 'r+');
    try {
      let header: DeltaHeader | null = null;
      for await (const item of readDelta(
        openStoredFile(context.storage, backup.id, file, context.progress.addBytes, sealOf(context, backup.id)),
      )) {
        if ('pageCount' in item) header = item;
        else await handle.write(item.page, 0, item.page.length, item.pageNumber * header!.pageSize);
      }
      await handle.truncate(header!.pageCount * header!.pageSize);
      await handle.sync();
    } finally {
      await handle.close();
    }
    context.progress.fileDone();
  }

  private async assertExact(path: string, last: BackupManifest): Promise<void> {
    const end = last.end as SqlitePosition;
    const hash = createHash('sha256');
    for await (const { page } of readPages(path, end.pageSize)) hash.update(page);
    const actual = hash.digest('hex');
    if (actual !== end.sha256) {
      throw new DomainError(
        BackupErrorCode.Corrupt,
        ErrorKind.Conflict,
        `the restored file hashes to ${actual}, backup ${last.id} recorded ${end.sha256}`,
      );
    }
  }
}

function rowCounts(path: string): Record<string, number> {
  const database = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const tables = database
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all() as string[];
    return Object.fromEntries(
      tables.map((name) => [
        name,
        Number(
          database
            .prepare(`SELECT COUNT(*) FROM "${name.replace(/"/g, '""')}"`)
            .pluck()
            .get(),
        ),
      ]),
    );
  } finally {
    database.close();
  }
}
