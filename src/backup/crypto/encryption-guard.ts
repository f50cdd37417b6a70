import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import type { BackupCipher } from '../../config/encryption-keys';
import { BackupErrorCode } from '../backup.errors';
import type { BackupManifest } from '../backup.types';
import type { FileSeal } from './file-seal';

/**
 * Fail closed (the lesson of CVE-2021-38599): on a node told to encrypt, a manifest is
 * written only when it carries the wrapped key and every file it names went through this
 * backup's cipher to its final chunk. Anything else fails the backup, loudly. `cipher` is
 * BACKUP_ENCRYPTION from the configuration, not what the wiring handed over: a key ring
 * lost on the way (no keys) must not turn the check off.
 */
export function assertEncryptedAsConfigured(
  manifest: BackupManifest,
  seal: FileSeal | null,
  cipher: BackupCipher,
): void {
  if (cipher === 'none') return;
  const plain = manifest.files.filter((file) => !seal?.hasSealed(file.name)).map((file) => file.name);
  if (manifest.encryption && seal && plain.length === 0) return;
  const what = !manifest.encryption || !seal ? 'its manifest carries no data key' : `${plain.join(', ')} not encrypted`;
  throw new DomainError(
    BackupErrorCode.NotEncrypted,
    ErrorKind.Internal,
    `BACKUP_ENCRYPTION=${cipher} and backup ${manifest.id} would have been written plain (${what}): refused, nothing kept`,
    { details: { plainFiles: plain } },
  );
}
