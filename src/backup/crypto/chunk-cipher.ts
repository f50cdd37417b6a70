import { inspect } from 'node:util';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/*
 * The stored form of an encrypted file (docs/backups-encryption.md, "File format"):
 *
 *   header  = "LHAENC" (6 bytes) | version 0x01 (1 byte) | salt (16 random bytes)
 *   fileKey = HKDF-SHA256(ikm = data key, salt, info = "logic-ha/backup-file@1:" + file name, 32 bytes)
 *   chunk i = AES-256-GCM(fileKey, nonce = 4 zero bytes | uint64be(i),
 *                         aad = uint64be(i) | final flag (1 byte, 1 on the last chunk only))
 *             stored as ciphertext | 16-byte tag
 *
 * Every chunk holds `chunkBytes` of plaintext except the last, which holds 0..chunkBytes.
 * The counter in nonce and AAD catches reordered or dropped chunks; the final flag catches
 * a file cut at a chunk boundary; a stream that ends before a final chunk is refused.
 */
export const FILE_MAGIC = Buffer.from('LHAENC', 'ascii');
export const FILE_FORMAT_VERSION = 1;
export const SALT_BYTES = 16;
export const HEADER_BYTES = FILE_MAGIC.length + 1 + SALT_BYTES;
export const TAG_BYTES = 16;
export const FILE_KEY_INFO = 'logic-ha/backup-file@1:';
/** Plaintext per chunk; recorded in each manifest, so it can change without breaking old backups. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
export const MIN_CHUNK_BYTES = 1024;
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024;

/** A stored file that fails authentication: damaged, tampered with, cut short, or under another key. */
export class SealBrokenError extends Error {
  constructor(
    fileName: string,
    /** The problem without the file name, for reports that already name the file. */
    readonly reason: string,
  ) {
    super(`${fileName}: ${reason}`);
    this.name = 'SealBrokenError';
  }
}

export function deriveFileKey(dataKey: Buffer, salt: Buffer, fileName: string): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, salt, Buffer.from(FILE_KEY_INFO + fileName, 'utf8'), 32));
}

function nonceOf(index: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  return nonce;
}

function aadOf(index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(9);
  aad.writeBigUInt64BE(BigInt(index), 0);
  aad[8] = final ? 1 : 0;
  return aad;
}

/** Bytes collected from a stream, taken off the front in exact sizes. */
class ByteQueue {
  private parts: Buffer[] = [];
  length = 0;

  add(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.parts.push(chunk);
    this.length += chunk.length;
  }

  /**
   * The next `count` bytes as views over the buffers added, not joined: the cipher takes them
   * one by one, so a chunk's plaintext is never copied into one buffer first.
   */
  takeParts(count: number): Buffer[] {
    const taken: Buffer[] = [];
    for (let left = count; left > 0;) {
      const head = this.parts[0];
      if (head.length <= left) {
        taken.push(head);
        this.parts.shift();
        left -= head.length;
      } else {
        taken.push(head.subarray(0, left));
        this.parts[0] = head.subarray(left);
        left = 0;
      }
    }
    this.length -= count;
    return taken;
  }

  /** The next `count` bytes in one buffer (copied only when they span several parts). */
  take(count: number): Buffer {
    const parts = this.takeParts(count);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, count);
  }
}

/** Encrypts one file's plaintext (gzip output) into the format above. */
export class ChunkEncryptor extends Transform {
  private readonly queue = new ByteQueue();
  /** #private: never in JSON, util.inspect or a stream's debug dump. */
  readonly #fileKey: Buffer;
  private index = 0;
  private headerSent = false;
  private readonly salt = randomBytes(SALT_BYTES);

  constructor(
    dataKey: Buffer,
    private readonly fileName: string,
    private readonly chunkBytes: number,
    /** Called once the final chunk is out: the proof that this file went through the cipher. */
    private readonly onSealed: () => void = () => undefined,
  ) {
    super();
    this.#fileKey = deriveFileKey(dataKey, this.salt, fileName);
  }

  toJSON(): { fileName: string } {
    return { fileName: this.fileName };
  }

  [inspect.custom](): string {
    return `ChunkEncryptor(${this.fileName})`;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sendHeader();
    this.queue.add(chunk);
    // Strictly more than one chunk: the one taken is known not to be the last.
    while (this.queue.length > this.chunkBytes) this.seal(this.queue.takeParts(this.chunkBytes), false);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.sendHeader();
    this.seal(this.queue.takeParts(this.queue.length), true);
    this.onSealed();
    callback();
  }

  private sendHeader(): void {
    if (this.headerSent) return;
    this.headerSent = true;
    this.push(Buffer.concat([FILE_MAGIC, Buffer.from([FILE_FORMAT_VERSION]), this.salt]));
  }

  /** Pushes one chunk's ciphertext piece by piece, then its tag: no joining copies. */
  private seal(plain: Buffer[], final: boolean): void {
    const cipher = createCipheriv('aes-256-gcm', this.#fileKey, nonceOf(this.index));
    cipher.setAAD(aadOf(this.index, final));
    for (const part of plain) this.push(cipher.update(part));
    cipher.final(); // GCM: no bytes, computes the tag
    this.push(cipher.getAuthTag());
    this.index += 1;
  }
}

/** Decrypts the format above; a chunk's bytes are passed on only after its tag checked out. */
export class ChunkDecryptor extends Transform {
  private readonly queue = new ByteQueue();
  /** #private, like the data key: never in JSON or util.inspect. */
  #fileKey: Buffer | null = null;
  readonly #dataKey: Buffer;
  private index = 0;
  private readonly sealedChunkBytes: number;

  constructor(
    dataKey: Buffer,
    private readonly fileName: string,
    chunkBytes: number,
  ) {
    super();
    this.#dataKey = dataKey;
    this.sealedChunkBytes = chunkBytes + TAG_BYTES;
  }

  toJSON(): { fileName: string } {
    return { fileName: this.fileName };
  }

  [inspect.custom](): string {
    return `ChunkDecryptor(${this.fileName})`;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.queue.add(chunk);
    try {
      if (!this.#fileKey && this.queue.length >= HEADER_BYTES) this.readHeader();
      while (this.#fileKey && this.queue.length > this.sealedChunkBytes) this.open(this.sealedChunkBytes, false);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (!this.#fileKey) throw new SealBrokenError(this.fileName, 'is cut short: it ends inside its header');
      if (this.queue.length < TAG_BYTES)
        throw new SealBrokenError(this.fileName, `is cut short: chunk ${this.index} is incomplete`);
      this.open(this.queue.length, true);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private readHeader(): void {
    const header = this.queue.take(HEADER_BYTES);
    if (!header.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC))
      throw new SealBrokenError(this.fileName, 'is not a logic-ha encrypted file (bad magic)');
    const version = header[FILE_MAGIC.length];
    if (version !== FILE_FORMAT_VERSION)
      throw new SealBrokenError(this.fileName, `has encryption format version ${version}; this build reads 1`);
    this.#fileKey = deriveFileKey(this.#dataKey, header.subarray(FILE_MAGIC.length + 1), this.fileName);
  }

  /**
   * Decrypts the next `sealedBytes` (ciphertext, then tag) piece by piece and pushes the
   * plaintext only after the tag checked out. GCM takes its tag any time before final().
   */
  private open(sealedBytes: number, final: boolean): void {
    const decipher = createDecipheriv('aes-256-gcm', this.#fileKey!, nonceOf(this.index));
    decipher.setAAD(aadOf(this.index, final));
    const plain = this.queue.takeParts(sealedBytes - TAG_BYTES).map((part) => decipher.update(part));
    decipher.setAuthTag(this.queue.take(TAG_BYTES));
    try {
      decipher.final();
    } catch {
      throw new SealBrokenError(
        this.fileName,
        `chunk ${this.index}${final ? ' (the last one)' : ''} failed authentication: ` +
          "the file is damaged, cut short, reordered or not encrypted with this backup's key",
      );
    }
    this.index += 1;
    for (const part of plain) this.push(part);
  }
}
