import type { Readable } from 'node:stream';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import type { BackupCipher } from '../../config/encryption-keys';
import { BackupErrorCode } from '../backup.errors';
import { BackupStorage, type StorageUpload } from '../storage/backup-storage';
import type { FileSeal } from './file-seal';

/**
 * The storage a backup writes through when BACKUP_ENCRYPTION is on: an upload is opened only
 * for a file this backup's seal made an encryptor for (storeFile makes it before it uploads).
 * The manifest guard (assertEncryptedAsConfigured) catches a file that skipped the cipher only
 * at the end; this refuses before a single plain byte reaches storage, whatever the engine does.
 */
export class EncryptedOnlyStorage extends BackupStorage {
  constructor(
    private readonly inner: BackupStorage,
    private readonly seal: FileSeal | null,
    private readonly cipher: BackupCipher,
  ) {
    super();
  }

  get description(): string {
    return this.inner.description;
  }

  async upload(backupId: string, fileName: string): Promise<StorageUpload> {
    if (!this.seal?.isEncrypting(fileName))
      throw new DomainError(
        BackupErrorCode.NotEncrypted,
        ErrorKind.Internal,
        `BACKUP_ENCRYPTION=${this.cipher} and ${backupId}/${fileName} was about to be stored without ` +
          `${this.seal ? "this backup's cipher" : 'a data key (no master key reached the backup)'}: refused, nothing uploaded`,
        { details: { plainFiles: [fileName] } },
      );
    return this.inner.upload(backupId, fileName);
  }

  download(backupId: string, fileName: string): Readable {
    return this.inner.download(backupId, fileName);
  }

  writeManifest(backupId: string, text: string): Promise<void> {
    return this.inner.writeManifest(backupId, text);
  }

  replaceManifest(backupId: string, text: string): Promise<void> {
    return this.inner.replaceManifest(backupId, text);
  }

  readManifest(backupId: string): Promise<string | null> {
    return this.inner.readManifest(backupId);
  }

  listIds(): Promise<string[]> {
    return this.inner.listIds();
  }

  remove(backupId: string): Promise<void> {
    return this.inner.remove(backupId);
  }
}
