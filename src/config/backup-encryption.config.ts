import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BackupEncryptionConfig } from './app-config';
import type { ConfigProblem } from './config-validation.error';
import { BACKUP_CIPHERS, type BackupCipher, type MasterKey, parseKeyList } from './encryption-keys';
import type { EnvironmentSchema } from './environment.schema';

/** Reads the key file; a parameter so tests need no file system. */
export type ReadKeyFile = (path: string) => string;

const readUtf8: ReadKeyFile = (path) => readFileSync(path, 'utf8');

/**
 * BACKUP_ENCRYPTION and its keys, validated at start: a node told to encrypt without a
 * usable key must not start (it would otherwise have to write plain backups or none).
 */
export function loadBackupEncryption(
  schema: EnvironmentSchema,
  cwd: string,
  readFile: ReadKeyFile = readUtf8,
): { config: BackupEncryptionConfig; problems: ConfigProblem[] } {
  const cipher: BackupCipher = BACKUP_CIPHERS.includes(schema.BACKUP_ENCRYPTION as never)
    ? schema.BACKUP_ENCRYPTION!
    : 'none';
  const problems: ConfigProblem[] = [];
  let keys: MasterKey[] = [];
  let keysSource: BackupEncryptionConfig['keysSource'] = null;
  if (schema.BACKUP_ENCRYPTION_KEYS !== undefined && schema.BACKUP_ENCRYPTION_KEYS_FILE !== undefined) {
    problems.push({
      variable: 'BACKUP_ENCRYPTION_KEYS_FILE',
      reason: 'cannot be set together with BACKUP_ENCRYPTION_KEYS: choose one source of keys',
    });
  } else if (schema.BACKUP_ENCRYPTION_KEYS !== undefined) {
    keysSource = 'BACKUP_ENCRYPTION_KEYS';
    keys = collect(parseKeyList(schema.BACKUP_ENCRYPTION_KEYS, 'comma'), keysSource, problems);
  } else if (schema.BACKUP_ENCRYPTION_KEYS_FILE !== undefined) {
    keysSource = 'BACKUP_ENCRYPTION_KEYS_FILE';
    const path = resolve(cwd, schema.BACKUP_ENCRYPTION_KEYS_FILE);
    let text: string | null = null;
    try {
      text = readFile(path);
    } catch (error) {
      problems.push({ variable: keysSource, reason: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code}` });
    }
    if (text !== null) keys = collect(parseKeyList(text, 'line'), keysSource, problems);
  }
  if (cipher === 'aes-256-gcm' && keysSource === null)
    problems.push({
      variable: 'BACKUP_ENCRYPTION_KEYS',
      reason: 'is required when BACKUP_ENCRYPTION=aes-256-gcm (or set BACKUP_ENCRYPTION_KEYS_FILE)',
    });
  return { config: { cipher, keys, keysSource }, problems };
}

function collect(
  result: { keys: MasterKey[]; problems: string[] },
  variable: string,
  problems: ConfigProblem[],
): MasterKey[] {
  problems.push(...result.problems.map((reason) => ({ variable, reason })));
  return result.keys;
}
