import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  type CompletedPart,
  CreateMultipartUploadCommand,
  type CreateMultipartUploadCommandOutput,
  DeleteObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  PutObjectCommand,
  UploadPartCommand,
  type UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import { Writable } from 'node:stream';
import type { S3ChecksumMode } from '../../../config/app-config';
import { type S3Bucket } from './s3-bucket';
import { isNotFound, s3Code } from './s3-errors';
import { MAX_PARTS, partSize } from './part-size';
import { type UploadTimeouts, attemptTimeoutMs, deadlineSignal } from './upload-timeouts';

export interface S3ObjectWriterOptions {
  firstPartBytes: number;
  /**
   * The client's checksum mode. `when_supported` makes the SDK send a CRC32 with every part;
   * S3 then wants the upload declared with that algorithm and each part's checksum on
   * completion, or it refuses the mismatch.
   */
  checksums: S3ChecksumMode;
  timeouts: UploadTimeouts;
  warn: (message: object) => void;
}

/**
 * One object written from a stream of unknown length. Bytes are cut into parts whose size
 * grows with the object (part-size.ts); one part is held in memory at a time and
 * `_write` waits while it uploads, so the source is paced by S3 (backpressure). Each part
 * is a Buffer, so the client's retry strategy can resend it.
 *
 * An object smaller than the first part never starts a multipart upload: it is kept and
 * sent by `commit()` as one PutObject. Otherwise the remaining bytes go up as the last
 * part when the stream ends, and only `commit()` completes the upload: before it, the
 * object does not exist. `abort()` cancels a part in flight and aborts the upload.
 *
 * Every request has a timeout scaled to its body and a deadline (upload-timeouts.ts): a
 * silent endpoint fails the upload instead of stalling it.
 */
export class S3ObjectWriter extends Writable {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private uploadId: string | null = null;
  private readonly parts: CompletedPart[] = [];
  private readonly inFlight = new AbortController();
  /** Set only when `_final` succeeded: every byte is held or uploaded. */
  private finished = false;
  private failed = false;
  private aborted = false;
  private committing = false;
  /** Bytes received from the stream: what the stored object must hold. */
  private written = 0;
  /** Put or completed: the object exists; abort() deletes it unless it passed its check. */
  private stored = false;
  private verified = false;
  /** The part upload in progress, so abort() knows every upload id that was created. */
  private pending: Promise<void> = Promise.resolve();

  private readonly firstPartBytes: number;
  private readonly checksumAlgorithm: 'CRC32' | undefined;
  private readonly timeouts: UploadTimeouts;
  private readonly warn: (message: object) => void;

  constructor(
    private readonly bucket: S3Bucket,
    private readonly key: string,
    options: S3ObjectWriterOptions,
  ) {
    super();
    this.firstPartBytes = options.firstPartBytes;
    this.checksumAlgorithm = options.checksums === 'when_supported' ? 'CRC32' : undefined;
    this.timeouts = options.timeouts;
    this.warn = options.warn;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.written += chunk.length;
    this.pending = this.drainFullParts();
    this.pending.then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const done = () => {
      this.finished = true;
      callback();
    };
    // Small object: kept for commit's PutObject. Else the rest is the (short) last part.
    if (this.uploadId === null) return done();
    const rest = this.take(this.buffered);
    this.pending = rest.length > 0 ? this.uploadPart(rest) : Promise.resolve();
    this.pending.then(done, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error) this.failed = true;
    this.inFlight.abort(error ?? new Error('upload stream destroyed'));
    callback(error);
  }

  /**
   * Makes the object visible, then checks what the service stored: a length (or part count)
   * other than what was written throws, and abort() then deletes the object.
   */
  async commit(): Promise<void> {
    this.assertCommittable();
    this.committing = true;
    await this.store();
    await this.verifyStored();
  }

  /** A commit after abort() would PUT whatever is left, an empty object at worst. */
  private assertCommittable(): void {
    const refused = (why: string) => new Error(`commit of s3 object ${this.key} refused: ${why}`);
    if (this.aborted) throw refused('the upload was aborted');
    if (this.failed) throw refused('its stream failed');
    if (!this.finished) throw refused('its stream has not finished');
    if (this.committing) throw refused('it was committed already');
  }

  private async store(): Promise<void> {
    if (this.uploadId === null) {
      const body = this.take(this.buffered);
      await this.bucket.send(
        'PutObject',
        new PutObjectCommand({ Bucket: this.bucket.name, Key: this.key, Body: body }),
        this.bounded(body.length),
      );
      this.stored = true;
      return;
    }
    await this.bucket.send(
      'CompleteMultipartUpload',
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket.name,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
      this.bounded(0),
    );
    this.stored = true;
  }

  private async verifyStored(): Promise<void> {
    const head = await this.bucket.send<HeadObjectCommandOutput>(
      `HeadObject ${this.key}`,
      new HeadObjectCommand({ Bucket: this.bucket.name, Key: this.key }),
      this.bounded(0),
    );
    const problem = storedMismatch(head, this.written, this.uploadId === null ? null : this.parts.length);
    if (problem) throw new Error(`s3 object ${this.key} was stored wrong: ${problem}`);
    this.verified = true;
  }

  /**
   * Stops the upload and frees what S3 holds for it; safe to call more than once. Never
   * throws, and is bounded by `timeouts.abortMs`: it runs on a failure path whose own error
   * is the one to report, often because the service stopped answering. Parts S3 keeps after
   * a failed abort are invisible (never completed) and go with remove() or the bucket's
   * lifecycle rule.
   */
  async abort(): Promise<void> {
    this.aborted = true;
    this.destroy();
    this.chunks = [];
    await this.pending.catch(() => undefined);
    if (this.stored && !this.verified) return this.deleteStored();
    if (this.stored) return;
    const uploadId = this.uploadId;
    this.uploadId = null;
    if (uploadId === null) return;
    try {
      await this.bucket.sendRaw(
        new AbortMultipartUploadCommand({ Bucket: this.bucket.name, Key: this.key, UploadId: uploadId }),
        { abortSignal: AbortSignal.timeout(this.timeouts.abortMs), requestTimeout: this.timeouts.abortMs },
      );
    } catch (error) {
      if (isNotFound(error) || s3Code(error) === 'NoSuchUpload') return;
      this.warn({
        msg: 'could not abort an S3 multipart upload; its parts stay until the backup is removed or the bucket lifecycle rule clears them',
        key: this.key,
        error: `${s3Code(error)}: ${(error as Error).message}`,
      });
    }
  }

  /** An object that failed its check after commit: it must not stay as if it were whole. */
  private async deleteStored(): Promise<void> {
    this.stored = false;
    try {
      await this.bucket.sendRaw(new DeleteObjectCommand({ Bucket: this.bucket.name, Key: this.key }), {
        abortSignal: AbortSignal.timeout(this.timeouts.abortMs),
        requestTimeout: this.timeouts.abortMs,
      });
    } catch (error) {
      this.warn({
        msg: 'could not delete an S3 object that failed its check; it goes when the backup is removed',
        key: this.key,
        error: `${s3Code(error)}: ${(error as Error).message}`,
      });
    }
  }

  private async drainFullParts(): Promise<void> {
    for (;;) {
      const size = partSize(this.parts.length + 1, this.firstPartBytes);
      if (this.buffered < size) return;
      if (this.parts.length + 1 >= MAX_PARTS)
        throw new Error(`s3 object ${this.key} is larger than ${MAX_PARTS} parts can hold`);
      await this.uploadPart(this.take(size));
    }
  }

  private async uploadPart(body: Buffer): Promise<void> {
    if (this.uploadId === null) {
      // Not cancelled by abort(): an upload created on the server must be known here to be
      // aborted. Its deadline may still end it; remove() aborts what the service then kept.
      const created = await this.bucket.send<CreateMultipartUploadCommandOutput>(
        'CreateMultipartUpload',
        new CreateMultipartUploadCommand({
          Bucket: this.bucket.name,
          Key: this.key,
          ChecksumAlgorithm: this.checksumAlgorithm,
        }),
        this.bounded(0),
      );
      this.uploadId = created.UploadId!;
    }
    const partNumber = this.parts.length + 1;
    const uploaded = await this.bucket.send<UploadPartCommandOutput>(
      `UploadPart ${partNumber}`,
      new UploadPartCommand({
        Bucket: this.bucket.name,
        Key: this.key,
        UploadId: this.uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.length,
        ChecksumAlgorithm: this.checksumAlgorithm,
      }),
      this.bounded(body.length, this.inFlight.signal),
    );
    this.parts.push({
      PartNumber: partNumber,
      ETag: uploaded.ETag,
      ...(uploaded.ChecksumCRC32 ? { ChecksumCRC32: uploaded.ChecksumCRC32 } : {}),
    });
  }

  /** A timeout per attempt scaled to the body, and a deadline over the attempts. */
  private bounded(bodyBytes: number, cancel?: AbortSignal) {
    return {
      requestTimeout: attemptTimeoutMs(this.timeouts, bodyBytes),
      abortSignal: deadlineSignal(this.timeouts, bodyBytes, cancel),
    };
  }

  /** The first `bytes` buffered bytes as one Buffer; the rest stays buffered. */
  private take(bytes: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    const head = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    // A copy: a view would keep the whole buffer alive, the part just taken included, for as
    // long as the leftover waits for the next part.
    this.chunks = rest.length > 0 ? [Buffer.from(rest)] : [];
    this.buffered = rest.length;
    return head;
  }
}

/**
 * Why a stored object is not what was written, or null. A multipart ETag ends in `-<parts>`
 * on AWS and most compatible services; where it does not, only the length is checked.
 */
export function storedMismatch(head: HeadObjectCommandOutput, written: number, parts: number | null): string | null {
  if (head.ContentLength !== written) return `it holds ${head.ContentLength} bytes, ${written} were written`;
  const suffix = parts === null ? null : /-(\d+)"?$/.exec(head.ETag ?? '');
  if (suffix && Number(suffix[1]) !== parts)
    return `its ETag ${head.ETag} counts ${suffix[1]} parts, ${parts} were sent`;
  return null;
}
