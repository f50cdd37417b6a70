import { Readable } from 'node:stream';
import { HttpResponse, type HttpRequest } from '@smithy/core/transport';

export type S3Operation =
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'PutObject'
  | 'HeadObject'
  | 'GetObject'
  | 'DeleteObject'
  | 'DeleteObjects'
  | 'ListObjectsV2'
  | 'ListMultipartUploads'
  | 'Other';

export interface CannedAnswer {
  status: number;
  /** An S3 error code: the body becomes `<Error><Code>…</Code>…</Error>`. */
  code?: string;
  /** For a success (status < 300): its headers and body instead of the default answer. */
  headers?: Record<string, string>;
  body?: string;
}

/** A request as the SDK sent it, for assertions on headers and bodies. */
export interface RecordedRequest {
  operation: S3Operation;
  headers: Record<string, string>;
  body: Buffer | null;
}

/**
 * A fake HTTP layer under a real S3Client: every request goes through the SDK's whole
 * middleware stack (signing, retries with backoff, error parsing) and is answered here.
 * aws-sdk-client-mock stubs `send` above that stack, so it cannot show retries.
 * `script(operation, attempt)` may return a canned answer; otherwise a success is answered,
 * HeadObject with the length and part count of what was uploaded.
 */
export class ScriptedS3Handler {
  readonly requests: S3Operation[] = [];
  readonly recorded: RecordedRequest[] = [];
  private readonly seen = new Map<S3Operation, number>();
  private storedBytes = 0;
  private partsStored = 0;

  constructor(private readonly script: (operation: S3Operation, attempt: number) => CannedAnswer | undefined) {}

  count(operation: S3Operation): number {
    return this.requests.filter((r) => r === operation).length;
  }

  async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    const operation = operationOf(request);
    this.requests.push(operation);
    const body = bodyOf(request.body);
    this.recorded.push({ operation, headers: { ...request.headers }, body });
    const attempt = (this.seen.get(operation) ?? 0) + 1;
    this.seen.set(operation, attempt);
    const canned = this.script(operation, attempt);
    if (canned && canned.status >= 300)
      return { response: answer(canned.status, errorXml(canned.code ?? 'InternalError')) };
    if (canned) return { response: answer(canned.status, canned.body ?? '', canned.headers) };
    if (operation === 'PutObject') this.storedBytes = body?.length ?? 0;
    if (operation === 'UploadPart') {
      this.storedBytes += body?.length ?? 0;
      this.partsStored++;
    }
    const response = this.success(operation, attempt);
    // As S3 does: a part's checksum comes back with it.
    const crc32 = request.headers['x-amz-checksum-crc32'];
    if (operation === 'UploadPart' && crc32) response.headers['x-amz-checksum-crc32'] = crc32;
    return { response };
  }

  private success(operation: S3Operation, attempt: number): HttpResponse {
    switch (operation) {
      case 'CreateMultipartUpload':
        return answer(
          200,
          '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>upload-1</UploadId></InitiateMultipartUploadResult>',
        );
      case 'UploadPart':
        return answer(200, '', { etag: `"etag-${attempt}"` });
      case 'CompleteMultipartUpload':
        return answer(
          200,
          `<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>"done-${this.partsStored}"</ETag></CompleteMultipartUploadResult>`,
        );
      case 'AbortMultipartUpload':
      case 'DeleteObject':
        return answer(204, '');
      case 'HeadObject':
        return answer(200, '', {
          'content-length': String(this.storedBytes),
          etag: this.partsStored > 0 ? `"done-${this.partsStored}"` : '"put"',
        });
      case 'DeleteObjects':
        return answer(200, '<DeleteResult></DeleteResult>');
      default:
        return answer(200, '', { etag: '"put"' });
    }
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }
}

function operationOf(request: HttpRequest): S3Operation {
  const query = request.query ?? {};
  if (request.method === 'POST' && 'uploads' in query) return 'CreateMultipartUpload';
  if (request.method === 'PUT' && 'partNumber' in query) return 'UploadPart';
  if (request.method === 'POST' && 'uploadId' in query) return 'CompleteMultipartUpload';
  if (request.method === 'POST' && 'delete' in query) return 'DeleteObjects';
  if (request.method === 'DELETE' && 'uploadId' in query) return 'AbortMultipartUpload';
  if (request.method === 'DELETE') return 'DeleteObject';
  if (request.method === 'PUT') return 'PutObject';
  if (request.method === 'HEAD') return 'HeadObject';
  if (request.method === 'GET' && 'uploads' in query) return 'ListMultipartUploads';
  if (request.method === 'GET' && 'list-type' in query) return 'ListObjectsV2';
  if (request.method === 'GET') return 'GetObject';
  return 'Other';
}

function bodyOf(body: unknown): Buffer | null {
  if (typeof body === 'string') return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return null;
}

function errorXml(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>scripted ${code}</Message><RequestId>r1</RequestId></Error>`;
}

function answer(statusCode: number, body: string, headers: Record<string, string> = {}): HttpResponse {
  return new HttpResponse({
    statusCode,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'r1', ...headers },
    body: Readable.from([Buffer.from(body)]),
  });
}
