import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import type { ManifestFile } from './backup.types';
import type { FileSeal } from './crypto/file-seal';
import type { BackupStorage } from './storage/backup-storage';
import { openStoredFile } from './streams/read-file';
import { type StoreOptions, storeFile } from './streams/store-file';

/**
 * Every backup carries the config file store (DATA_DIR/configs) as a tar archive (node-tar,
 * streamed), so a restored node serves the same configs while its host is away.
 */
export async function storeConfigsArchive(
  storage: BackupStorage,
  backupId: string,
  configsDir: string,
  options: StoreOptions,
): Promise<ManifestFile> {
  const source: Readable = existsSync(configsDir)
    ? (tar.create({ cwd: configsDir, portable: true, noMtime: false }, ['.']) as unknown as Readable)
    : Readable.from([]);
  return storeFile(storage, backupId, 'configs.tar', 'configs', source, options);
}

export async function extractConfigsArchive(
  storage: BackupStorage,
  backupId: string,
  file: ManifestFile,
  targetDir: string,
  seal: FileSeal | null = null,
): Promise<void> {
  await mkdir(targetDir, { recursive: true });
  if (file.rawBytes === 0) return;
  await pipeline(
    openStoredFile(storage, backupId, file, undefined, seal),
    tar.extract({ cwd: targetDir, strict: true }) as unknown as NodeJS.WritableStream,
  );
}
