import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type S3Bucket } from './s3-bucket';

/**
 * Counts the bytes of a body and fails at its end when they fall short of (or exceed) the
 * Content-Length the service announced: a connection cut mid-body must be an error, never
 * a shorter file that a reader might take as the whole.
 */
export class LengthCheck extends Transform {
  expected: number | null = null;
  received = 0;

  constructor(private readonly what: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.expected !== null && this.received !== this.expected)
      return callback(
        new Error(`${this.what} is truncated: received ${this.received} bytes, the object has ${this.expected}`),
      );
    callback();
  }
}

/** The object's bytes as a stream that errors when the request fails or the body is short. */
export function downloadObject(bucket: S3Bucket, key: string): Readable {
  const out = new LengthCheck(`s3://${bucket.name}/${key}`);
  const request = new AbortController();
  out.once('close', () => request.abort());
  void (async () => {
    const response = await bucket.send<GetObjectCommandOutput>(
      `GetObject ${key}`,
      new GetObjectCommand({ Bucket: bucket.name, Key: key }),
      { abortSignal: request.signal, use: 'downloads' },
    );
    out.expected = response.ContentLength ?? null;
    await pipeline(response.Body as Readable, out);
  })().catch((error: Error) => out.destroy(error));
  return out;
}
