import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  type DeleteObjectsCommandOutput,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { S3BackupConfig } from '../../../config/app-config';
import { BACKUP_ID_PATTERN } from '../../backup-id';
import { MANIFEST_NAME } from '../../manifest';
import { BackupStorage, type StorageUpload } from '../backup-storage';
import { safeName } from '../local-backup.storage';
import { DEFAULT_FIRST_PART_BYTES } from './part-size';
import { abortUploadsUnder } from './s3-abandoned-uploads';
import { S3Bucket } from './s3-bucket';
import { describeS3 } from './s3-client';
import { downloadObject } from './s3-download';
import { withContentMd5 } from './s3-content-md5';
import { explainS3Error, isNotFound, isNotImplemented, isPreconditionFailed, s3Code } from './s3-errors';
import { S3ObjectWriter } from './s3-object-writer';
import { DEFAULT_UPLOAD_TIMEOUTS, type UploadTimeouts } from './upload-timeouts';

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

export interface S3StorageOptions {
  /** Tests use S3's 5 MiB minimum to reach multipart with little data. */
  firstPartBytes?: number;
  logger?: Pick<Logger, 'warn'>;
  /** Tests shorten them to meet a silent endpoint. */
  uploadTimeouts?: UploadTimeouts;
  /** The client data file downloads go through (createS3Client's 'downloads'); `client` otherwise. */
  downloadClient?: S3Client;
}

/**
 * Backups in an S3 bucket: `<prefix><backup id>/<file>`, the manifest written last as
 * `<prefix><backup id>/manifest.json`. Data files are streamed multipart uploads whose part
 * size grows with the object; the manifest is written with `If-None-Match: *` so an
 * existing one is never overwritten (on services without conditional writes, plainly).
 */
export class S3BackupStorage extends BackupStorage {
  readonly description: string;
  private readonly bucket: S3Bucket;
  private readonly firstPartBytes: number;
  private readonly checksums: S3BackupConfig['checksumCalculation'];
  private readonly uploadTimeouts: UploadTimeouts;
  private readonly logger: Pick<Logger, 'warn'>;
  /** Set once the service answered 501 to a conditional header. */
  private conditionalWrites = true;
  /** Cleared once the service refused DeleteObjects for want of Content-MD5. */
  private batchDeletes = true;

  constructor(config: S3BackupConfig, client: S3Client, options: S3StorageOptions = {}) {
    super();
    this.description = describeS3(config);
    this.bucket = new S3Bucket(client, config.bucket, config.prefix, this.description, options.downloadClient);
    this.firstPartBytes = options.firstPartBytes ?? DEFAULT_FIRST_PART_BYTES;
    this.checksums = config.checksumCalculation;
    this.uploadTimeouts = options.uploadTimeouts ?? DEFAULT_UPLOAD_TIMEOUTS;
    this.logger = options.logger ?? new Logger('Backup');
  }

  async upload(backupId: string, fileName: string): Promise<StorageUpload> {
    const writer = new S3ObjectWriter(this.bucket, this.key(backupId, safeName(fileName)), {
      firstPartBytes: this.firstPartBytes,
      checksums: this.checksums,
      timeouts: this.uploadTimeouts,
      warn: (m) => this.logger.warn({ ...m, storage: this.description }),
    });
    return { stream: writer, commit: () => writer.commit(), abort: () => writer.abort() };
  }

  download(backupId: string, fileName: string): Readable {
    return downloadObject(this.bucket, this.key(backupId, safeName(fileName)));
  }

  async writeManifest(backupId: string, text: string): Promise<void> {
    await this.putManifest(backupId, text, { IfNoneMatch: '*' }, () => {
      throw new Error(`backup ${backupId} already has a manifest in ${this.description}; it is never overwritten`);
    });
  }

  async replaceManifest(backupId: string, text: string): Promise<void> {
    const key = this.key(backupId, MANIFEST_NAME);
    let etag: string | undefined;
    try {
      const head = await this.bucket.sendRaw<HeadObjectCommandOutput>(
        new HeadObjectCommand({ Bucket: this.bucket.name, Key: key }),
      );
      etag = head.ETag;
    } catch (error) {
      if (isNotFound(error))
        throw new Error(`backup ${backupId} has no manifest to replace in ${this.description}`, { cause: error });
      throw explainS3Error(error, `HeadObject ${key}`, this.description);
    }
    await this.putManifest(backupId, text, etag ? { IfMatch: etag } : {}, () => {
      throw new Error(`the manifest of backup ${backupId} changed (or was removed) while being replaced; try again`);
    });
  }

  async readManifest(backupId: string): Promise<string | null> {
    const key = this.key(backupId, MANIFEST_NAME);
    try {
      const response = await this.bucket.sendRaw<GetObjectCommandOutput>(
        new GetObjectCommand({ Bucket: this.bucket.name, Key: key }),
      );
      return await response.Body!.transformToString('utf8');
    } catch (error) {
      if (isNotFound(error)) return null;
      throw explainS3Error(error, `GetObject ${key}`, this.description);
    }
  }

  async listIds(): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.bucket.send<ListObjectsV2CommandOutput>(
        'ListObjectsV2',
        new ListObjectsV2Command({
          Bucket: this.bucket.name,
          Prefix: this.bucket.prefix,
          Delimiter: '/',
          ContinuationToken: token,
        }),
      );
      for (const common of page.CommonPrefixes ?? []) {
        const id = common.Prefix?.slice(this.bucket.prefix.length).replace(/\/$/, '');
        if (id && BACKUP_ID_PATTERN.test(id)) ids.push(id);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return ids.sort();
  }

  /** The manifest first (so a half-removed backup is never usable), then uploads in progress, then the rest. */
  async remove(backupId: string): Promise<void> {
    const manifestKey = this.key(backupId, MANIFEST_NAME);
    await this.bucket.send(
      `DeleteObject ${manifestKey}`,
      new DeleteObjectCommand({ Bucket: this.bucket.name, Key: manifestKey }),
    );
    await abortUploadsUnder(this.bucket, this.bucket.folder(backupId));
    const deletedKeys = new Set<string>();
    for (;;) {
      const page = await this.bucket.send<ListObjectsV2CommandOutput>(
        'ListObjectsV2',
        new ListObjectsV2Command({
          Bucket: this.bucket.name,
          Prefix: this.bucket.folder(backupId),
          MaxKeys: DELETE_BATCH,
        }),
      );
      const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
      if (keys.length === 0) return;
      // A service that answers "deleted" and keeps the objects would loop here for ever.
      if (keys.some((k) => deletedKeys.has(k.Key)))
        throw new Error(`S3 DeleteObjects on ${this.description} reported success but ${keys[0].Key} is still listed`);
      keys.forEach((k) => deletedKeys.add(k.Key));
      await this.deleteKeys(keys.map((k) => k.Key));
    }
  }

  /** One DeleteObjects; one DeleteObject per key where the service cannot take it. */
  private async deleteKeys(keys: string[]): Promise<void> {
    const deleted = this.batchDeletes ? await this.deleteBatch(keys) : null;
    if (deleted) {
      const failed = deleted.Errors ?? [];
      if (failed.length > 0)
        throw new Error(
          `S3 DeleteObjects failed on ${this.description} for ${failed.length} object(s), first ${failed[0].Key}: ${failed[0].Code} ${failed[0].Message}`,
        );
      return;
    }
    for (const key of keys)
      await this.bucket.send(`DeleteObject ${key}`, new DeleteObjectCommand({ Bucket: this.bucket.name, Key: key }));
  }

  /** With Content-MD5; null (and remembered) when the service still answers MissingContentMD5. */
  private async deleteBatch(keys: string[]): Promise<DeleteObjectsCommandOutput | null> {
    try {
      return await this.bucket.sendRaw<DeleteObjectsCommandOutput>(
        withContentMd5(
          new DeleteObjectsCommand({
            Bucket: this.bucket.name,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
    } catch (error) {
      if (s3Code(error) !== 'MissingContentMD5') throw explainS3Error(error, 'DeleteObjects', this.description);
    }
    this.batchDeletes = false;
    this.logger.warn({
      msg: 'the S3 service refused DeleteObjects (MissingContentMD5); objects are deleted one by one from now on',
      storage: this.description,
    });
    return null;
  }

  /**
   * PutObject with a condition; a 412 calls `onConflict`. A service that answers 501 to
   * the conditional header (older S3-compatible servers) is remembered, logged once, and
   * written to plainly from then on.
   */
  private async putManifest(
    backupId: string,
    text: string,
    condition: { IfNoneMatch?: string; IfMatch?: string },
    onConflict: () => never,
  ): Promise<void> {
    const key = this.key(backupId, MANIFEST_NAME);
    const put = (conditional: boolean) =>
      this.bucket.sendRaw(
        new PutObjectCommand({
          Bucket: this.bucket.name,
          Key: key,
          Body: text,
          ContentType: 'application/json',
          ...(conditional ? condition : {}),
        }),
      );
    try {
      await put(this.conditionalWrites);
      return;
    } catch (error) {
      if (isPreconditionFailed(error)) onConflict();
      if (!(this.conditionalWrites && isNotImplemented(error)))
        throw explainS3Error(error, `PutObject ${key}`, this.description);
    }
    this.conditionalWrites = false;
    this.logger.warn({
      msg: 'the S3 service does not support conditional writes (501 to If-None-Match / If-Match); manifests are written unconditionally from now on',
      storage: this.description,
    });
    try {
      await put(false);
    } catch (error) {
      throw explainS3Error(error, `PutObject ${key}`, this.description);
    }
  }

  private key(backupId: string, fileName: string): string {
    if (!BACKUP_ID_PATTERN.test(backupId)) throw new Error(`not a backup id: ${JSON.stringify(backupId)}`);
    return this.bucket.key(backupId, fileName);
  }
}
