import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import Database from 'better-sqlite3';
import { chainBroken } from '../../backup.errors';
import type { BackupManifest, ManifestFile, SqlitePosition } from '../../backup.types';
import { KeyRing } from '../../crypto/key-ring';
import { checkStoredFile, openStoredFile } from '../../streams/read-file';
import { storeFile } from '../../streams/store-file';
import { BackupEngine, type EngineContext, type EngineResult, storeOptionsOf } from '../backup-engine';
import { deltaStream } from './page-delta';
import { HASH_BYTES, summarisePages } from './sqlite-pages';

/** Pages copied between yields to the event loop: about 1 MiB at 4 KiB pages. */
const PAGES_PER_STEP = 256;

/**
 * SQLite (the embedded default): a full is a copy made with SQLite's online backup API
 * (better-sqlite3 `backup()`, consistent while the app writes); an incremental is the set
 * of pages whose sha256 changed since the parent, which rebuilds the exact file. Each
 * backup stores the page hashes its child compares against.
 */
export class SqliteBackupEngine extends BackupEngine {
  readonly name = 'sqlite' as const;

  constructor(private readonly databasePath: string) {
    super();
  }

  async full(context: EngineContext): Promise<EngineResult> {
    const copy = await this.snapshot(context);
    const summary = await summarisePages(copy);
    context.progress.enter('store', summary.pageCount * summary.pageSize);
    const database = await storeFile(
      context.storage,
      context.backupId,
      'database.sqlite',
      'database',
      createReadStream(copy),
      storeOptionsOf(context),
    );
    context.progress.fileDone();
    const pages = await this.storePageHashes(context, summary.pageHashes);
    return this.result([database, pages], null, position(summary));
  }

  async incremental(context: EngineContext, parent: BackupManifest): Promise<EngineResult> {
    const start = parent.end;
    if (start.kind !== 'sqlite') throw chainBroken(`parent ${parent.id} is not a SQLite backup`);
    const parentHashes = await this.parentPageHashes(context, parent);
    const copy = await this.snapshot(context);
    const summary = await summarisePages(copy);
    if (summary.pageSize !== start.pageSize) {
      throw chainBroken(
        `the page size changed from ${start.pageSize} to ${summary.pageSize} (VACUUM?): a full backup is needed`,
      );
    }
    context.progress.enter('delta', summary.pageCount * summary.pageSize);
    let changedPages = 0;
    const delta = deltaStream(
      copy,
      { pageSize: summary.pageSize, pageCount: summary.pageCount },
      parentHashes,
      () => (changedPages += 1),
    );
    const deltaFile = await storeFile(
      context.storage,
      context.backupId,
      'delta.bin',
      'delta',
      delta,
      storeOptionsOf(context),
    );
    context.progress.fileDone();
    const pages = await this.storePageHashes(context, summary.pageHashes);
    return this.result([deltaFile, pages], start, position(summary));
  }

  private async snapshot(context: EngineContext): Promise<string> {
    context.progress.enter('snapshot');
    const copy = join(context.tempDir, 'snapshot.sqlite');
    const source = new Database(this.databasePath, { readonly: true, fileMustExist: true });
    try {
      await source.backup(copy, {
        // Throwing is how better-sqlite3 cancels a backup (returning 0 would spin with no progress).
        progress: () => {
          context.signal.throwIfAborted();
          return PAGES_PER_STEP;
        },
      });
    } finally {
      source.close();
    }
    context.signal.throwIfAborted();
    return copy;
  }

  /** The parent's page hashes, checked against its manifest before any comparison. */
  private async parentPageHashes(context: EngineContext, parent: BackupManifest): Promise<Buffer> {
    const file = parent.files.find((f) => f.role === 'pages');
    if (!file) throw chainBroken(`parent ${parent.id} stores no page hashes`);
    // An encrypted parent (any key of the ring) is read with its own data key.
    const seal = (context.keys ?? KeyRing.none()).sealOf(parent);
    const check = await checkStoredFile(context.storage, parent.id, file, undefined, seal);
    if (!check.ok)
      throw chainBroken(`parent ${parent.id}'s page hashes are damaged (${check.problem}): a full backup is needed`);
    const hashes = await buffer(openStoredFile(context.storage, parent.id, file, undefined, seal));
    const end = parent.end as SqlitePosition;
    if (hashes.length !== end.pageCount * HASH_BYTES)
      throw chainBroken(`parent ${parent.id}'s page hashes do not match its page count`);
    return hashes;
  }

  private async storePageHashes(context: EngineContext, hashes: Buffer): Promise<ManifestFile> {
    const file = await storeFile(
      context.storage,
      context.backupId,
      'pages.sha256',
      'pages',
      Readable.from([hashes]),
      storeOptionsOf(context),
    );
    context.progress.fileDone();
    return file;
  }

  private result(files: ManifestFile[], start: SqlitePosition | null, end: SqlitePosition): EngineResult {
    return { files, start, end, serverVersion: sqliteVersion(), sourceDatabase: null };
  }
}

let cachedVersion: string | null = null;

function sqliteVersion(): string {
  if (cachedVersion === null) {
    const memory = new Database(':memory:');
    cachedVersion = `SQLite ${memory.prepare('SELECT sqlite_version()').pluck().get() as string}`;
    memory.close();
  }
  return cachedVersion;
}

function position(summary: { pageSize: number; pageCount: number; sha256: string }): SqlitePosition {
  return { kind: 'sqlite', pageSize: summary.pageSize, pageCount: summary.pageCount, sha256: summary.sha256 };
}
