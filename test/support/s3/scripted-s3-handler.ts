import { Readable } from 'node:stream';
import { HttpResponse, type HttpRequest } from '@smithy/core/transport';

export type S3Operation =
  'CreateMultipartUpload' | 'UploadPart' | 'CompleteMultipartUpload' | 'AbortMultipartUpload' | 'PutObject' | 'Other';

export interface CannedAnswer {
  status: number;
  /** An S3 error code: the body becomes `<Error><Code>…</Code>…</Error>`. */
  code?: string;
}

/**
 * A fake HTTP layer under a real S3Client: every request goes through the SDK's whole
 * middleware stack (signing, retries with backoff, error parsing) and is answered here.
 * aws-sdk-client-mock stubs `send` above that stack, so it cannot show retries.
 * `script(operation, attempt)` may return a canned failure; otherwise a success is answered.
 */
export class ScriptedS3Handler {
  readonly requests: S3Operation[] = [];
  private readonly seen = new Map<S3Operation, number>();

  constructor(private readonly script: (operation: S3Operation, attempt: number) => CannedAnswer | undefined) {}

  count(operation: S3Operation): number {
    return this.requests.filter((r) => r === operation).length;
  }

  async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    const operation = operationOf(request);
    this.requests.push(operation);
    const attempt = (this.seen.get(operation) ?? 0) + 1;
    this.seen.set(operation, attempt);
    const failure = this.script(operation, attempt);
    if (failure) return { response: answer(failure.status, errorXml(failure.code ?? 'InternalError')) };
    switch (operation) {
      case 'CreateMultipartUpload':
        return {
          response: answer(
            200,
            '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>upload-1</UploadId></InitiateMultipartUploadResult>',
          ),
        };
      case 'UploadPart':
        return { response: answer(200, '', { etag: `"etag-${attempt}"` }) };
      case 'CompleteMultipartUpload':
        return {
          response: answer(
            200,
            '<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>"done"</ETag></CompleteMultipartUploadResult>',
          ),
        };
      case 'AbortMultipartUpload':
        return { response: answer(204, '') };
      default:
        return { response: answer(200, '', { etag: '"put"' }) };
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
  if (request.method === 'DELETE' && 'uploadId' in query) return 'AbortMultipartUpload';
  if (request.method === 'PUT') return 'PutObject';
  return 'Other';
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
