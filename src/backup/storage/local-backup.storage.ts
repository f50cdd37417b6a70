import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import writeFileAtomic from 'write-file-atomic';
import { BACKUP_ID_PATTERN } from '../backup-id';
import { MANIFEST_NAME } from '../manifest';
import { BackupStorage, type StorageUpload } from './backup-storage';

const SAFE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/**
 * Backups hold the whole database and every config: owner-only, as the config files and
 * the admin token are. BACKUP_DIR may sit outside DATA_DIR (an NFS mount), where a
 * 0644 file in a 0755 folder would be readable by every local user. An existing
 * BACKUP_DIR keeps the mode its operator gave it (as DATA_DIR does); each backup's own
 * folder is created by logic-ha and is always 0700, so its files are private either way.
 */
export const BACKUP_FOLDER_MODE = 0o700;
export const BACKUP_FILE_MODE = 0o600;

/**
 * Backups in a local directory (in production a mounted remote path such as NFS). Each
 * file is written as `<name>.partial`, flushed to disk, then renamed; the manifest goes
 * through write-file-atomic.
 */
export class LocalBackupStorage extends BackupStorage {
  constructor(private readonly root: string) {
    super();
  }

  get description(): string {
    return `local:${this.root}`;
  }

  async upload(backupId: string, fileName: string): Promise<StorageUpload> {
    const folder = this.folder(backupId);
    const finalPath = join(folder, safeName(fileName));
    const partialPath = `${finalPath}.partial`;
    await mkdir(folder, { recursive: true, mode: BACKUP_FOLDER_MODE });
    const stream = createWriteStream(partialPath, { flags: 'wx', mode: BACKUP_FILE_MODE });
    return {
      stream,
      commit: async () => {
        await fsyncFile(partialPath);
        await rename(partialPath, finalPath);
      },
      abort: async () => {
        stream.destroy();
        await rm(partialPath, { force: true });
      },
    };
  }

  download(backupId: string, fileName: string): Readable {
    return createReadStream(join(this.folder(backupId), safeName(fileName)));
  }

  async writeManifest(backupId: string, text: string): Promise<void> {
    await writeFileAtomic(join(this.folder(backupId), MANIFEST_NAME), text, { fsync: true, mode: BACKUP_FILE_MODE });
  }

  async replaceManifest(backupId: string, text: string): Promise<void> {
    if ((await this.readManifest(backupId)) === null) throw new Error(`backup ${backupId} has no manifest to replace`);
    await this.writeManifest(backupId, text);
  }

  async readManifest(backupId: string): Promise<string | null> {
    try {
      return await readFile(join(this.folder(backupId), MANIFEST_NAME), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async listIds(): Promise<string[]> {
    try {
      const entries = await readdir(this.root, { withFileTypes: true });
      return entries
        .filter((e) => e.isDirectory() && BACKUP_ID_PATTERN.test(e.name))
        .map((e) => e.name)
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async remove(backupId: string): Promise<void> {
    const folder = this.folder(backupId);
    await rm(join(folder, MANIFEST_NAME), { force: true });
    await rm(folder, { recursive: true, force: true });
  }

  private folder(backupId: string): string {
    if (!BACKUP_ID_PATTERN.test(backupId)) throw new Error(`not a backup id: ${JSON.stringify(backupId)}`);
    return join(this.root, backupId);
  }
}

/** Data file names: no path separators, no leading dot; shared by every driver. */
export function safeName(fileName: string): string {
  if (!SAFE_FILE_NAME.test(fileName)) throw new Error(`unsafe backup file name: ${JSON.stringify(fileName)}`);
  return fileName;
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
