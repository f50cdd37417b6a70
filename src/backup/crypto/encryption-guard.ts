import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { BackupErrorCode } from '../backup.errors';
import type { BackupManifest } from '../backup.types';
import type { FileSeal } from './file-seal';
import type { KeyRing } from './key-ring';

/**
 * Fail closed (the lesson of CVE-2021-38599): on a node told to encrypt, a manifest is
 * written only when it carries the wrapped key and every file it names went through this
 * backup's cipher to its final chunk. Anything else fails the backup, loudly.
 */
export function assertEncryptedAsConfigured(manifest: BackupManifest, seal: FileSeal | null, keys: KeyRing): void {
  if (!keys.encrypting) return;
  const plain = manifest.files.filter((file) => !seal?.hasSealed(file.name)).map((file) => file.name);
  if (manifest.encryption && seal && plain.length === 0) return;
  const what = !manifest.encryption || !seal ? 'its manifest carries no data key' : `${plain.join(', ')} not encrypted`;
  throw new DomainError(
    BackupErrorCode.NotEncrypted,
    ErrorKind.Internal,
    `BACKUP_ENCRYPTION=${keys.cipher} and backup ${manifest.id} would have been written plain (${what}): refused, nothing kept`,
    { details: { plainFiles: plain } },
  );
}
