import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KEY_ID_PATTERN, type MasterKey } from '../../config/encryption-keys';
import type { ManifestEncryption } from '../backup.types';
import { MAX_CHUNK_BYTES, MIN_CHUNK_BYTES } from './chunk-cipher';

export const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const WRAPPED_KEY_BYTES = IV_BYTES + TAG_BYTES + DATA_KEY_BYTES;

/**
 * What the wrap authenticates besides the key: a wrapped key copied into another backup's
 * manifest, or relabelled with another key id, does not unwrap.
 */
export function wrapAad(backupId: string, keyId: string): Buffer {
  return Buffer.from(`logic-ha/backup-key@1\n${backupId}\n${keyId}`, 'utf8');
}

export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}

/** base64(iv | tag | AES-256-GCM(master, data key)). */
export function wrapDataKey(dataKey: Buffer, master: MasterKey, backupId: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', master.material(), iv);
  cipher.setAAD(wrapAad(backupId, master.id));
  const encrypted = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), encrypted]).toString('base64');
}

/** The data key, or null when `master` is not the key that wrapped it (or the manifest was altered). */
export function unwrapDataKey(wrappedKey: string, master: MasterKey, backupId: string): Buffer | null {
  const bytes = Buffer.from(wrappedKey, 'base64');
  if (bytes.length !== WRAPPED_KEY_BYTES) return null;
  const decipher = createDecipheriv('aes-256-gcm', master.material(), bytes.subarray(0, IV_BYTES));
  decipher.setAAD(wrapAad(backupId, master.id));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  const dataKey = decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES));
  try {
    decipher.final();
    return dataKey;
  } catch {
    return null;
  }
}

/** Problems with a manifest's `encryption` object; [] when absent (a plain backup) or well formed. */
export function encryptionProblems(value: unknown): string[] {
  if (value === undefined) return [];
  const e = value as Partial<ManifestEncryption> | null | undefined;
  if (!e || typeof e !== 'object') return ['encryption is not an object'];
  const problems: string[] = [];
  if (e.cipher !== 'aes-256-gcm') problems.push(`encryption cipher ${JSON.stringify(e.cipher)} is not aes-256-gcm`);
  if (typeof e.keyId !== 'string' || !KEY_ID_PATTERN.test(e.keyId)) problems.push('encryption keyId is damaged');
  if (
    typeof e.wrappedKey !== 'string' ||
    !/^[A-Za-z0-9+/]+={0,2}$/.test(e.wrappedKey) ||
    Buffer.from(e.wrappedKey, 'base64').length !== WRAPPED_KEY_BYTES
  )
    problems.push('encryption wrappedKey is damaged');
  if (!Number.isInteger(e.chunkBytes) || e.chunkBytes! < MIN_CHUNK_BYTES || e.chunkBytes! > MAX_CHUNK_BYTES)
    problems.push('encryption chunkBytes is out of range');
  return problems;
}
