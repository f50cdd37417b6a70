import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3BackupConfig } from '../../../config/app-config';
import {
  type CannedAnswer,
  type S3Operation,
  ScriptedS3Handler,
} from '../../../../test/support/s3/scripted-s3-handler';
import { storeFile } from '../../streams/store-file';
import { S3BackupStorage } from './s3-backup.storage';
import { createS3Client } from './s3-client';
import { s3TestConfig } from '../../../../test/support/s3/s3-config';

const ID = '20260601-120000-000F';
const CONFIG: S3BackupConfig = s3TestConfig({
  credentials: { accessKeyId: 'AKIDWRONG', secretAccessKey: 'wrong-secret' },
});
const MIB = 1024 * 1024;

function serviceError(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
}

describe('S3BackupStorage manifest writes (SDK mocked)', () => {
  const s3 = mockClient(S3Client);
  let warn: jest.Mock;
  let storage: S3BackupStorage;

  beforeEach(() => {
    s3.reset();
    warn = jest.fn();
    storage = new S3BackupStorage(CONFIG, new S3Client({ region: 'us-east-1' }), { logger: { warn } });
  });
  afterAll(() => s3.restore());

  it('writes the manifest with If-None-Match: *', async () => {
    s3.on(PutObjectCommand).resolves({});
    await storage.writeManifest(ID, '{}');
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input).toMatchObject({
      Bucket: 'prod-backups',
      Key: `logic-ha/${ID}/manifest.json`,
      IfNoneMatch: '*',
    });
  });

  it('412: a manifest exists already; refused, never overwritten', async () => {
    s3.on(PutObjectCommand).rejects(serviceError('PreconditionFailed', 412));
    await expect(storage.writeManifest(ID, '{}')).rejects.toThrow(
      `backup ${ID} already has a manifest in s3://prod-backups/logic-ha/ at https://s3.example.test; it is never overwritten`,
    );
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it('501 to the conditional header: written plainly, remembered, logged once', async () => {
    s3.on(PutObjectCommand).callsFake((input: { IfNoneMatch?: string }) => {
      if (input.IfNoneMatch) throw serviceError('NotImplemented', 501);
      return {};
    });
    await storage.writeManifest(ID, '{}');
    await storage.writeManifest('20260601-130000-000I', '{}');
    const inputs = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => input.IfNoneMatch)).toEqual(['*', undefined, undefined]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0].msg).toMatch(/does not support conditional writes/);
  });

  it('replaceManifest puts with If-Match on the ETag just read; 412 means it changed meanwhile', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"abc"' });
    s3.on(PutObjectCommand).resolvesOnce({}).rejects(serviceError('PreconditionFailed', 412));
    await storage.replaceManifest(ID, '{"v":2}');
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input).toMatchObject({ IfMatch: '"abc"', Body: '{"v":2}' });
    await expect(storage.replaceManifest(ID, '{"v":3}')).rejects.toThrow(
      /changed \(or was removed\) while being replaced/,
    );
  });

  it('replaceManifest never creates a manifest', async () => {
    s3.on(HeadObjectCommand).rejects(serviceError('NotFound', 404));
    await expect(storage.replaceManifest(ID, '{}')).rejects.toThrow(/has no manifest to replace/);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('readManifest: null on NoSuchKey, an error naming the bucket otherwise', async () => {
    s3.on(GetObjectCommand).rejectsOnce(serviceError('NoSuchKey', 404)).rejects(serviceError('AccessDenied', 403));
    expect(await storage.readManifest(ID)).toBeNull();
    await expect(storage.readManifest(ID)).rejects.toThrow(
      /S3 GetObject logic-ha\/.*manifest.json failed on s3:\/\/prod-backups\/logic-ha\/ at https:\/\/s3.example.test \(AccessDenied 403/,
    );
  });

  it('readManifest: a missing bucket is an error with the bucket hint, not "no manifest"', async () => {
    s3.on(GetObjectCommand).rejects(serviceError('NoSuchBucket', 404));
    await expect(storage.readManifest(ID)).rejects.toThrow(
      /NoSuchBucket 404.*: the bucket does not exist \(check BACKUP_S3_BUCKET and BACKUP_S3_ENDPOINT\)/,
    );
  });

  it('a truncated object is an error on download, never a short file', async () => {
    s3.on(GetObjectCommand).resolves({
      ContentLength: 1000,
      Body: Readable.from([Buffer.alloc(600)]) as never,
    });
    const drain = async () => {
      for await (const chunk of storage.download(ID, 'database.sql.gz')) void chunk;
    };
    await expect(drain()).rejects.toThrow(
      /logic-ha\/20260601-120000-000F\/database.sql.gz is truncated: received 600 bytes, the object has 1000/,
    );
  });
});

describe('S3BackupStorage through the SDK retry strategy (scripted HTTP answers)', () => {
  function storageAnswering(
    script: (operation: S3Operation, attempt: number) => CannedAnswer | undefined,
    config: S3BackupConfig = CONFIG,
  ) {
    const handler = new ScriptedS3Handler(script);
    const client = createS3Client(config, { requestHandler: handler as never });
    const storage = new S3BackupStorage(config, client, { firstPartBytes: 5 * MIB, logger: { warn: jest.fn() } });
    return { handler, storage, client };
  }
  const store = (storage: S3BackupStorage, bytes: number) =>
    storeFile(storage, ID, 'database.sql', 'dump', Readable.from([Buffer.alloc(bytes, 1)]), {
      compressionLevel: 0,
    });

  it('wrong credentials: one request, no retry storm, an error naming the bucket, endpoint and what to check', async () => {
    const { handler, storage, client } = storageAnswering(() => ({ status: 403, code: 'InvalidAccessKeyId' }));
    await expect(storage.writeManifest(ID, '{}')).rejects.toThrow(
      /S3 PutObject .* failed on s3:\/\/prod-backups\/logic-ha\/ at https:\/\/s3.example.test \(InvalidAccessKeyId 403.*check BACKUP_S3_ACCESS_KEY_ID \/ BACKUP_S3_SECRET_ACCESS_KEY/,
    );
    expect(handler.requests).toEqual(['PutObject']);
    client.destroy();
  });

  it('SignatureDoesNotMatch on a data file: the backup fails at once with the same hint', async () => {
    const { handler, storage, client } = storageAnswering(() => ({ status: 403, code: 'SignatureDoesNotMatch' }));
    await expect(store(storage, 1000)).rejects.toThrow(/SignatureDoesNotMatch 403.*check BACKUP_S3_ACCESS_KEY_ID/);
    expect(handler.requests).toEqual(['PutObject']);
    client.destroy();
  });

  it('a 503 SlowDown storm: each part is retried with backoff and the upload succeeds', async () => {
    const { handler, storage, client } = storageAnswering((operation, attempt) =>
      operation === 'UploadPart' && attempt <= 3 ? { status: 503, code: 'SlowDown' } : undefined,
    );
    const file = await store(storage, 12 * MIB);
    expect(file.name).toBe('database.sql.gz');
    expect(handler.count('UploadPart')).toBe(3 + 3); // 3 refused, then the 3 parts
    expect(handler.count('CompleteMultipartUpload')).toBe(1);
    expect(handler.count('AbortMultipartUpload')).toBe(0);
    client.destroy();
  }, 30_000);

  it('every attempt fails (503): the upload fails after BACKUP_S3_MAX_ATTEMPTS and the multipart upload is aborted', async () => {
    const { handler, storage, client } = storageAnswering((operation) =>
      operation === 'UploadPart' ? { status: 503, code: 'ServiceUnavailable' } : undefined,
    );
    await expect(store(storage, 12 * MIB)).rejects.toThrow(/S3 UploadPart 1 failed on .*ServiceUnavailable 503/);
    expect(handler.count('UploadPart')).toBe(CONFIG.maxAttempts);
    expect(handler.count('CompleteMultipartUpload')).toBe(0);
    expect(handler.count('AbortMultipartUpload')).toBe(1);
    client.destroy();
  }, 60_000);

  it('an object stored shorter than written fails the file, and is deleted', async () => {
    const { handler, storage, client } = storageAnswering((operation) =>
      operation === 'HeadObject' ? { status: 200, headers: { 'content-length': '10', etag: '"put"' } } : undefined,
    );
    await expect(store(storage, 1000)).rejects.toThrow(
      /s3 object logic-ha\/20260601-120000-000F\/database.sql.gz was stored wrong: it holds 10 bytes, \d+ were written/,
    );
    expect(handler.requests).toEqual(['PutObject', 'HeadObject', 'DeleteObject']);
    client.destroy();
  });

  it('a multipart object whose ETag counts other parts than were sent fails the file', async () => {
    const { handler, storage, client } = storageAnswering(() => undefined);
    const file = await store(storage, 12 * MIB);
    expect(handler.count('HeadObject')).toBe(1);
    expect(handler.count('DeleteObject')).toBe(0);

    const wrong = storageAnswering((operation) =>
      operation === 'HeadObject'
        ? { status: 200, headers: { 'content-length': String(file.sizeBytes), etag: '"x-2"' } }
        : undefined,
    );
    await expect(store(wrong.storage, 12 * MIB)).rejects.toThrow(/its ETag "x-2" counts 2 parts, 3 were sent/);
    expect(wrong.handler.count('DeleteObject')).toBe(1);
    client.destroy();
    wrong.client.destroy();
  });

  it('the leftover after a part does not keep the part in memory', async () => {
    const { storage, client } = storageAnswering(() => undefined);
    const upload = await storage.upload(ID, 'database.sql.gz');
    await new Promise<void>((resolve, reject) =>
      upload.stream.write(Buffer.alloc(5 * MIB + 100 * 1024, 1), (error) => (error ? reject(error) : resolve())),
    );
    const leftover = (upload.stream as unknown as { chunks: Buffer[] }).chunks;
    expect(leftover.map((chunk) => chunk.length)).toEqual([100 * 1024]);
    expect(leftover[0].buffer.byteLength).toBeLessThan(MIB);
    await upload.abort();
    client.destroy();
  });

  it('commit after abort is refused and sends nothing', async () => {
    const { handler, storage, client } = storageAnswering(() => undefined);
    const upload = await storage.upload(ID, 'database.sql.gz');
    await pipeline(Readable.from([Buffer.alloc(1000, 1)]), upload.stream);
    await upload.abort();
    await expect(upload.commit()).rejects.toThrow(/commit of s3 object .* refused: the upload was aborted/);
    expect(handler.requests).toEqual([]);
    client.destroy();
  });

  it('commit before the stream finished, or twice, is refused', async () => {
    const { handler, storage, client } = storageAnswering(() => undefined);
    const upload = await storage.upload(ID, 'database.sql.gz');
    upload.stream.write(Buffer.alloc(10));
    await expect(upload.commit()).rejects.toThrow(/refused: its stream has not finished/);
    await new Promise<void>((resolve) => upload.stream.end(resolve));
    await upload.commit();
    await expect(upload.commit()).rejects.toThrow(/refused: it was committed already/);
    expect(handler.requests).toEqual(['PutObject', 'HeadObject']);
    client.destroy();
  });

  describe('remove on a service that requires Content-MD5 on DeleteObjects (older MinIO, Ceph)', () => {
    const listed = (attempt: number) =>
      `<ListBucketResult>${attempt === 1 ? `<Contents><Key>logic-ha/${ID}/a.gz</Key></Contents><Contents><Key>logic-ha/${ID}/b.gz</Key></Contents>` : ''}<IsTruncated>false</IsTruncated></ListBucketResult>`;
    const script = (deleteObjects: CannedAnswer | undefined) => (operation: S3Operation, attempt: number) => {
      if (operation === 'ListMultipartUploads') return { status: 501, code: 'NotImplemented' };
      if (operation === 'ListObjectsV2') return { status: 200, body: listed(attempt) };
      if (operation === 'DeleteObjects') return deleteObjects;
      return undefined;
    };

    it('DeleteObjects carries the Content-MD5 of its body', async () => {
      const { handler, storage, client } = storageAnswering(script(undefined));
      await storage.remove(ID);
      const [request] = handler.recorded.filter((r) => r.operation === 'DeleteObjects');
      expect(request.headers['content-md5']).toBe(createHash('md5').update(request.body!).digest('base64'));
      client.destroy();
    });

    it('MissingContentMD5 all the same: one DeleteObject per key instead', async () => {
      const { handler, storage, client } = storageAnswering(script({ status: 400, code: 'MissingContentMD5' }));
      await storage.remove(ID);
      expect(handler.requests.filter((r) => r.startsWith('Delete'))).toEqual([
        'DeleteObject', // the manifest
        'DeleteObjects',
        'DeleteObject',
        'DeleteObject',
      ]);
      client.destroy();
    });
  });

  describe('checksum modes on a multipart upload', () => {
    const header = (handler: ScriptedS3Handler, operation: S3Operation, name: string) =>
      handler.recorded.filter((r) => r.operation === operation).map((r) => r.headers[name]);

    it('when_required: no checksum on the parts, none declared', async () => {
      const { handler, storage, client } = storageAnswering(() => undefined);
      await store(storage, 12 * MIB);
      expect(header(handler, 'UploadPart', 'x-amz-checksum-crc32')).toEqual([undefined, undefined, undefined]);
      expect(header(handler, 'CreateMultipartUpload', 'x-amz-checksum-algorithm')).toEqual([undefined]);
      client.destroy();
    });

    it('when_supported: the upload is declared CRC32 and completed with each part checksum', async () => {
      const supported = {
        ...CONFIG,
        checksumCalculation: 'when_supported',
        checksumValidation: 'when_supported',
      } as const;
      const { handler, storage, client } = storageAnswering(() => undefined, supported);
      await store(storage, 12 * MIB);
      const partSums = header(handler, 'UploadPart', 'x-amz-checksum-crc32');
      expect(partSums).toHaveLength(3);
      expect(partSums.every((sum) => typeof sum === 'string' && sum.length > 0)).toBe(true);
      expect(header(handler, 'CreateMultipartUpload', 'x-amz-checksum-algorithm')).toEqual(['CRC32']);
      const complete = handler.recorded.find((r) => r.operation === 'CompleteMultipartUpload')!.body!.toString();
      expect([...complete.matchAll(/<ChecksumCRC32>([^<]+)<\/ChecksumCRC32>/g)].map((m) => m[1])).toEqual(partSums);
      client.destroy();
    });
  });
});
