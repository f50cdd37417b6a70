import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Passes bytes through unchanged while counting them and, optionally, hashing them. */
export class ByteMeter extends Transform {
  bytes = 0;
  private readonly hash: Hash | null;

  constructor(
    options: { hash?: boolean } = {},
    private readonly onBytes: (count: number, chunk: Buffer) => void = () => undefined,
  ) {
    super();
    this.hash = options.hash ? createHash('sha256') : null;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash?.update(chunk);
    this.onBytes(chunk.length, chunk);
    callback(null, chunk);
  }

  /** Hex sha256 of every byte seen; call after the stream ended. */
  digest(): string {
    if (!this.hash) throw new Error('this meter does not hash');
    return this.hash.digest('hex');
  }
}
