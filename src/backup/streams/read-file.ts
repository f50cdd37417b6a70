import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { BackupManifest, ManifestFile } from '../backup.types';
import type { BackupStorage } from '../storage/backup-storage';
import { ByteMeter } from './byte-meter';

export interface FileCheck {
  file: string;
  ok: boolean;
  problem?: string;
}

/** Re-reads one stored file and compares its size and sha256 with the manifest. */
export async function checkStoredFile(
  storage: BackupStorage,
  backupId: string,
  file: ManifestFile,
  onBytes?: (count: number) => void,
): Promise<FileCheck> {
  const meter = new ByteMeter({ hash: true }, onBytes);
  try {
    await pipeline(storage.download(backupId, file.name), meter, new PassThrough().resume());
  } catch (error) {
    return { file: file.name, ok: false, problem: `cannot be read: ${(error as Error).message}` };
  }
  if (meter.bytes !== file.sizeBytes) {
    return { file: file.name, ok: false, problem: `size is ${meter.bytes} bytes, the manifest says ${file.sizeBytes}` };
  }
  const sha256 = meter.digest();
  if (sha256 !== file.sha256)
    return { file: file.name, ok: false, problem: `sha256 is ${sha256}, the manifest says ${file.sha256}` };
  return { file: file.name, ok: true };
}

/** Re-reads every file of one backup, in manifest order. */
export async function checkBackupFiles(
  storage: BackupStorage,
  manifest: BackupManifest,
  onBytes?: (count: number) => void,
): Promise<FileCheck[]> {
  const checks: FileCheck[] = [];
  for (const file of manifest.files) checks.push(await checkStoredFile(storage, manifest.id, file, onBytes));
  return checks;
}

/** The failed checks as `<prefix><file>: <problem>` lines. */
export function fileProblems(checks: FileCheck[], prefix = ''): string[] {
  return checks.filter((check) => !check.ok).map((check) => `${prefix}${check.file}: ${check.problem}`);
}

/** The decompressed content of a stored file. Callers check it first with checkStoredFile. */
export function openStoredFile(
  storage: BackupStorage,
  backupId: string,
  file: ManifestFile,
  onBytes?: (count: number) => void,
): Readable {
  const source = storage.download(backupId, file.name);
  const meter = new ByteMeter({}, onBytes);
  const gunzip = createGunzip();
  source.on('error', (error) => gunzip.destroy(error));
  meter.on('error', (error) => gunzip.destroy(error));
  return source.pipe(meter).pipe(gunzip);
}
