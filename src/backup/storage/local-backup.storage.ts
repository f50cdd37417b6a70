import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import writeFileAtomic from 'write-file-atomic';
import { BACKUP_ID_PATTERN } from '../backup-id';
import { MANIFEST_NAME } from '../manifest';
import { BackupStorage, StorageUpload } from './backup-storage';

const SAFE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

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
    await mkdir(folder, { recursive: true });
    const stream = createWriteStream(partialPath, { flags: 'wx' });
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
    await writeFileAtomic(join(this.folder(backupId), MANIFEST_NAME), text, { fsync: true });
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
      return entries.filter((e) => e.isDirectory() && BACKUP_ID_PATTERN.test(e.name)).map((e) => e.name).sort();
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

function safeName(fileName: string): string {
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
