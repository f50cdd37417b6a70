import { inspect } from 'node:util';

/** The ciphers BACKUP_ENCRYPTION accepts; `none` writes plain (gzip only) backups. */
export const BACKUP_CIPHERS = ['none', 'aes-256-gcm'] as const;
export type BackupCipher = (typeof BACKUP_CIPHERS)[number];

export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const MASTER_KEY_BYTES = 32;

/**
 * A master key: an id (recorded in manifests) and 32 secret bytes. The bytes never print:
 * JSON, util.inspect and string conversion all show the id only, so a logged config or
 * error cannot leak them.
 */
export class MasterKey {
  readonly #key: Buffer;

  constructor(
    readonly id: string,
    key: Buffer,
  ) {
    this.#key = Buffer.from(key);
  }

  /** A copy of the secret bytes (a caller that zeroes or changes it cannot change the key); only the envelope code should call this. */
  material(): Buffer {
    return Buffer.from(this.#key);
  }

  toJSON(): { id: string } {
    return { id: this.id };
  }

  toString(): string {
    return `MasterKey(${this.id})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

export interface KeyListResult {
  keys: MasterKey[];
  /** Human reasons, naming entries by position and id, never by value. */
  problems: string[];
}

/**
 * Parses `id:base64key` entries: comma-separated (the env variable) or one per line with
 * `#` comments (the file). Every problem is reported; a key's value is never echoed.
 */
export function parseKeyList(text: string, separator: 'comma' | 'line'): KeyListResult {
  const entries =
    separator === 'comma'
      ? text.split(',').map((entry, index) => ({ entry: entry.trim(), where: `entry ${index + 1}` }))
      : text
          .split(/\r?\n/)
          .map((line, index) => ({ entry: line.replace(/#.*$/, '').trim(), where: `line ${index + 1}` }));
  const keys: MasterKey[] = [];
  const problems: string[] = [];
  for (const { entry, where } of entries) {
    if (entry === '') {
      if (separator === 'comma') problems.push(`${where} is empty`);
      continue;
    }
    const parsed = parseEntry(entry, where);
    if (typeof parsed === 'string') problems.push(parsed);
    else if (keys.some((key) => key.id === parsed.id)) problems.push(`${where}: key id ${parsed.id} appears twice`);
    else keys.push(parsed);
  }
  if (keys.length === 0 && problems.length === 0) problems.push('holds no key');
  return { keys, problems };
}

function parseEntry(entry: string, where: string): MasterKey | string {
  const colon = entry.indexOf(':');
  if (colon < 0) return `${where} is not id:base64key`;
  const id = entry.slice(0, colon).trim();
  const encoded = entry.slice(colon + 1).trim();
  if (!KEY_ID_PATTERN.test(id)) return `${where}: the key id must be 1 to 64 of A-Z a-z 0-9 . _ -`;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0)
    return `${where} (key ${id}): the key is not base64`;
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== MASTER_KEY_BYTES)
    return `${where} (key ${id}): the key must be exactly ${MASTER_KEY_BYTES} bytes (openssl rand -base64 32), not ${key.length}`;
  return new MasterKey(id, key);
}
