import { inspect } from 'node:util';
import type { Transform } from 'node:stream';
import { ChunkDecryptor, ChunkEncryptor } from './chunk-cipher';

/** Stored names of encrypted files end with this, so a person listing the storage sees it. */
export const ENCRYPTED_SUFFIX = '.enc';

/**
 * One backup's unwrapped data key, and the record of which files were encrypted with it:
 * BackupService refuses to write a manifest naming a file that did not go through here.
 */
export class FileSeal {
  private readonly sealed = new Set<string>();
  /** Names an encryptor was made for: EncryptedOnlyStorage opens uploads for these alone. */
  private readonly encrypting = new Set<string>();

  /** #private: a logged or serialised seal shows no key bytes (as MasterKey does). */
  readonly #dataKey: Buffer;

  constructor(
    dataKey: Buffer,
    readonly chunkBytes: number,
  ) {
    this.#dataKey = dataKey;
  }

  toJSON(): { chunkBytes: number; sealed: string[] } {
    return { chunkBytes: this.chunkBytes, sealed: [...this.sealed] };
  }

  [inspect.custom](): string {
    return `FileSeal(${this.sealed.size} sealed)`;
  }

  encryptor(fileName: string): Transform {
    this.encrypting.add(fileName);
    return new ChunkEncryptor(this.#dataKey, fileName, this.chunkBytes, () => this.sealed.add(fileName));
  }

  decryptor(fileName: string): Transform {
    return new ChunkDecryptor(this.#dataKey, fileName, this.chunkBytes);
  }

  /** True once an encryptor was made for `fileName` (its bytes are meant to go through this key). */
  isEncrypting(fileName: string): boolean {
    return this.encrypting.has(fileName);
  }

  /** True once `fileName`'s final chunk was written with this key. */
  hasSealed(fileName: string): boolean {
    return this.sealed.has(fileName);
  }
}
