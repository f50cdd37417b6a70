import type { S3Client } from '@aws-sdk/client-s3';
import { explainS3Error } from './s3-errors';

/** Any of the SDK's command objects; callers name the output type they expect. */
type AnyCommand = { readonly input: object; resolveMiddleware: unknown };

/**
 * One bucket and key prefix: the client, where object keys go, and `send`, which turns SDK
 * errors into messages naming the bucket and endpoint (never the credentials). Retries
 * with backoff on throttling and 5xx happen inside the client (its retry strategy).
 */
export class S3Bucket {
  constructor(
    readonly client: S3Client,
    readonly name: string,
    /** '' or ending with '/'. */
    readonly prefix: string,
    /** For messages: `s3://bucket/prefix at endpoint`. */
    readonly where: string,
  ) {}

  key(backupId: string, fileName: string): string {
    return `${this.prefix}${backupId}/${fileName}`;
  }

  folder(backupId: string): string {
    return `${this.prefix}${backupId}/`;
  }

  /** Errors as the SDK threw them, for callers that look at the status first. */
  sendRaw<T>(command: AnyCommand, abortSignal?: AbortSignal): Promise<T> {
    return this.client.send(command as never, { abortSignal }) as Promise<T>;
  }

  async send<T>(action: string, command: AnyCommand, abortSignal?: AbortSignal): Promise<T> {
    try {
      return await this.sendRaw<T>(command, abortSignal);
    } catch (error) {
      throw explainS3Error(error, action, this.where);
    }
  }
}
