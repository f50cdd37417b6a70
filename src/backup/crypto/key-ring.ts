import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import type { BackupEncryptionConfig } from '../../config/app-config';
import type { BackupCipher, MasterKey } from '../../config/encryption-keys';
import { BackupErrorCode } from '../backup.errors';
import type { BackupManifest, ManifestEncryption } from '../backup.types';
import { DEFAULT_CHUNK_BYTES } from './chunk-cipher';
import { newDataKey, unwrapDataKey, wrapDataKey } from './envelope';
import { FileSeal } from './file-seal';

/**
 * Owns the master keys (BACKUP_ENCRYPTION_KEYS or _FILE): the first wraps new backups' data
 * keys, all of them unwrap. Never logs or returns key bytes; messages name key ids only.
 */
export class KeyRing {
  constructor(
    /** What new backups are written with. */
    readonly cipher: BackupCipher,
    private readonly keys: readonly MasterKey[],
  ) {
    if (cipher !== 'none' && keys.length === 0)
      throw new Error(
        `BACKUP_ENCRYPTION=${cipher} needs a key in BACKUP_ENCRYPTION_KEYS or BACKUP_ENCRYPTION_KEYS_FILE`,
      );
  }

  static fromConfig(encryption: BackupEncryptionConfig): KeyRing {
    return new KeyRing(encryption.cipher, encryption.keys);
  }

  /** No keys: reads plain backups only. */
  static none(): KeyRing {
    return new KeyRing('none', []);
  }

  get encrypting(): boolean {
    return this.cipher !== 'none';
  }

  get keyIds(): string[] {
    return this.keys.map((key) => key.id);
  }

  get currentKeyId(): string | null {
    return this.keys[0]?.id ?? null;
  }

  /** A fresh data key for one backup, wrapped by the first master key. */
  newEnvelope(backupId: string, chunkBytes = DEFAULT_CHUNK_BYTES): { seal: FileSeal; encryption: ManifestEncryption } {
    const master = this.keys[0];
    if (!master) throw new Error('no master key to encrypt with');
    const dataKey = newDataKey();
    return {
      seal: new FileSeal(dataKey, chunkBytes),
      encryption: {
        cipher: 'aes-256-gcm',
        keyId: master.id,
        wrappedKey: wrapDataKey(dataKey, master, backupId),
        chunkBytes,
      },
    };
  }

  /** null for a plain backup; throws BACKUP_KEY_MISSING / BACKUP_KEY_WRONG when its key is not usable here. */
  sealOf(manifest: BackupManifest): FileSeal | null {
    if (!manifest.encryption) return null;
    return new FileSeal(this.unwrap(manifest.id, manifest.encryption), manifest.encryption.chunkBytes);
  }

  /** The same data key, wrapped by the current first key (key rotation). */
  rewrap(backupId: string, encryption: ManifestEncryption): ManifestEncryption {
    const master = this.keys[0];
    if (!master) throw new Error('no master key to re-wrap with');
    const dataKey = this.unwrap(backupId, encryption);
    return { ...encryption, keyId: master.id, wrappedKey: wrapDataKey(dataKey, master, backupId) };
  }

  private unwrap(backupId: string, encryption: ManifestEncryption): Buffer {
    const master = this.keys.find((key) => key.id === encryption.keyId);
    if (!master)
      throw new DomainError(
        BackupErrorCode.KeyMissing,
        ErrorKind.Conflict,
        `backup ${backupId} is encrypted with key ${encryption.keyId}, which is not configured here ` +
          `(known: ${this.keyIds.join(', ') || 'none'}); add it to BACKUP_ENCRYPTION_KEYS or BACKUP_ENCRYPTION_KEYS_FILE`,
        { details: { backupId, keyId: encryption.keyId } },
      );
    const dataKey = unwrapDataKey(encryption.wrappedKey, master, backupId);
    if (!dataKey)
      throw new DomainError(
        BackupErrorCode.KeyWrong,
        ErrorKind.Conflict,
        `cannot unwrap the data key of backup ${backupId} with key ${encryption.keyId}: ` +
          'the configured key has this id but other bytes, or the manifest was altered',
        { details: { backupId, keyId: encryption.keyId } },
      );
    return dataKey;
  }
}
