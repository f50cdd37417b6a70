import type { S3Client } from '@aws-sdk/client-s3';
import type { S3ClientUse } from './s3-client';
import { explainS3Error } from './s3-errors';

/** Any of the SDK's command objects; callers name the output type they expect. */
type AnyCommand = { readonly input: object; resolveMiddleware: unknown };

export interface S3RequestOptions {
  abortSignal?: AbortSignal;
  /** Per attempt, from the request's start to the response headers; the client's default otherwise. */
  requestTimeout?: number;
  /** 'downloads' goes through the client with the long socket idle limit. */
  use?: S3ClientUse;
}

/**
 * One bucket and key prefix: the clients, where object keys go, and `send`, which turns SDK
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
    /** The client whose idle limit suits a body paced by its reader (createS3Client's 'downloads'). */
    readonly downloadClient: S3Client = client,
  ) {}

  key(backupId: string, fileName: string): string {
    return `${this.prefix}${backupId}/${fileName}`;
  }

  folder(backupId: string): string {
    return `${this.prefix}${backupId}/`;
  }

  /** Errors as the SDK threw them, for callers that look at the status first. */
  sendRaw<T>(command: AnyCommand, options: S3RequestOptions = {}): Promise<T> {
    const client = options.use === 'downloads' ? this.downloadClient : this.client;
    return client.send(command as never, {
      abortSignal: options.abortSignal,
      requestTimeout: options.requestTimeout,
    }) as Promise<T>;
  }

  async send<T>(action: string, command: AnyCommand, options: S3RequestOptions = {}): Promise<T> {
    try {
      return await this.sendRaw<T>(command, options);
    } catch (error) {
      throw explainS3Error(error, action, this.where);
    }
  }
}
