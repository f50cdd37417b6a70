import { PassThrough, type Readable, pipeline as pipelineCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { BackupManifest, ManifestFile } from '../backup.types';
import { SealBrokenError } from '../crypto/chunk-cipher';
import { ENCRYPTED_SUFFIX, type FileSeal } from '../crypto/file-seal';
import type { BackupStorage } from '../storage/backup-storage';
import { ByteMeter } from './byte-meter';

export interface FileCheck {
  file: string;
  ok: boolean;
  problem?: string;
}

/**
 * Re-reads one stored file and compares its size and sha256 with the manifest. An encrypted
 * file is also decrypted in the same pass, every chunk authenticated: a changed byte is
 * caught even when someone recomputed the manifest's sha256. With `hashOnly` an encrypted
 * file is checked against the manifest without its key (a node lacking the key can still
 * tell damage from a key problem).
 */
export async function checkStoredFile(
  storage: BackupStorage,
  backupId: string,
  file: ManifestFile,
  onBytes?: (count: number) => void,
  seal: FileSeal | null = null,
  hashOnly = false,
): Promise<FileCheck> {
  if (!seal && !hashOnly && isEncrypted(file))
    return { file: file.name, ok: false, problem: 'is encrypted: no data key given' };
  const meter = new ByteMeter({ hash: true }, onBytes);
  const decrypt = seal ? [seal.decryptor(file.name)] : [];
  try {
    await pipeline(storage.download(backupId, file.name), meter, ...decrypt, new PassThrough().resume());
  } catch (error) {
    if (error instanceof SealBrokenError) return { file: file.name, ok: false, problem: error.reason };
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

/**
 * Re-reads every file of one backup, in manifest order; `seal` is its data key when encrypted
 * (KeyRing.sealOf). An encrypted backup without its seal is still checked, by size and sha256
 * only: the caller reports the key problem next to these results.
 */
export async function checkBackupFiles(
  storage: BackupStorage,
  manifest: BackupManifest,
  onBytes?: (count: number) => void,
  seal: FileSeal | null = null,
): Promise<FileCheck[]> {
  // Only an encrypted manifest without its key: a plain manifest naming an encrypted file stays an error.
  const hashOnly = Boolean(manifest.encryption) && !seal;
  const checks: FileCheck[] = [];
  for (const file of manifest.files)
    checks.push(await checkStoredFile(storage, manifest.id, file, onBytes, seal, hashOnly));
  return checks;
}

/** The failed checks as `<prefix><file>: <problem>` lines. */
export function fileProblems(checks: FileCheck[], prefix = ''): string[] {
  return checks.filter((check) => !check.ok).map((check) => `${prefix}${check.file}: ${check.problem}`);
}

/**
 * The decompressed (and decrypted) content of a stored file. Callers check it first with
 * checkStoredFile. One pipeline down to the returned stream: an error anywhere reaches the
 * consumer, and a consumer that fails (destroys it) tears the whole chain down, the download
 * included, so a failed restore leaves no file descriptor or S3 socket open.
 */
export function openStoredFile(
  storage: BackupStorage,
  backupId: string,
  file: ManifestFile,
  onBytes?: (count: number) => void,
  seal: FileSeal | null = null,
): Readable {
  if (!seal && isEncrypted(file)) throw new Error(`${backupId}/${file.name} is encrypted: no data key given`);
  const decrypt = seal ? [seal.decryptor(file.name)] : [];
  const out = new PassThrough();
  pipelineCallback(
    storage.download(backupId, file.name),
    new ByteMeter({}, onBytes),
    ...decrypt,
    createGunzip(),
    out,
    // Errors reach the consumer through `out`, which pipeline destroys with them.
    () => undefined,
  );
  return out;
}

function isEncrypted(file: ManifestFile): boolean {
  return file.name.endsWith(ENCRYPTED_SUFFIX);
}
