import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BackupReader } from '../../src/backup/backup-reader';
import { KeyRing } from '../../src/backup/crypto/key-ring';
import { MANIFEST_NAME } from '../../src/backup/manifest';
import type { StorageUpload } from '../../src/backup/storage/backup-storage';
import { S3BackupStorage } from '../../src/backup/storage/s3/s3-backup.storage';
import { createS3Client } from '../../src/backup/storage/s3/s3-client';
import { S3rverProcess } from '../support/s3/s3rver';

const MIB = 1024 * 1024;
const FIRST_PART = 5 * MIB;

async function write(upload: StorageUpload, data: Buffer): Promise<void> {
  // Many small chunks, as gzip hands them over.
  const chunks = Array.from({ length: Math.ceil(data.length / 65536) }, (_, i) =>
    data.subarray(i * 65536, (i + 1) * 65536),
  );
  await pipeline(Readable.from(chunks), upload.stream);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Records the name of every command the client sends (through the real middleware stack). */
function recordCommands(client: S3Client): string[] {
  const names: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      names.push(context.commandName as string);
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return names;
}

describe('S3BackupStorage against s3rver', () => {
  let server: S3rverProcess;
  let client: S3Client;
  let storage: S3BackupStorage;
  let commands: string[];
  const prefix = 'cluster-a/';

  beforeAll(async () => {
    server = await S3rverProcess.start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(() => client.destroy());
  beforeEach(() => {
    client = server.client();
    commands = recordCommands(client);
    storage = new S3BackupStorage(server.config(prefix), client, { firstPartBytes: FIRST_PART });
  });

  const keysUnder = async (folder: string) =>
    ((await client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: folder }))).Contents ?? []).map(
      (o) => o.Key,
    );

  it('describes itself as bucket, prefix and endpoint, without the credentials', () => {
    expect(storage.description).toBe(`s3://${server.bucket}/${prefix} at ${server.endpoint}`);
    expect(storage.description).not.toContain('S3RVER');
  });

  it('round-trips a small file in one PutObject, visible only after commit', async () => {
    const id = '20260601-120000-000F';
    const data = randomBytes(100_000);
    const upload = await storage.upload(id, 'database.sql.gz');
    await write(upload, data);
    expect(await keysUnder(`${prefix}${id}/`)).toEqual([]);
    await upload.commit();
    expect(await keysUnder(`${prefix}${id}/`)).toEqual([`${prefix}${id}/database.sql.gz`]);
    expect(sha(await readAll(storage.download(id, 'database.sql.gz')))).toBe(sha(data));
    expect(commands.filter((c) => c.includes('Multipart') || c === 'UploadPartCommand')).toEqual([]);
  });

  it('uploads 12 MiB as a multipart upload of 5 + 5 + 2 MiB parts, and reads it back byte for byte', async () => {
    const id = '20260601-120100-000F';
    const data = randomBytes(12 * MIB);
    const upload = await storage.upload(id, 'big.sql.gz');
    await write(upload, data);
    await upload.commit();
    expect(commands).toEqual([
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
      'HeadObjectCommand', // the stored length (and part count) checked
    ]);
    const stored = await readAll(storage.download(id, 'big.sql.gz'));
    expect(stored.length).toBe(data.length);
    expect(sha(stored)).toBe(sha(data));
  });

  // s3rver answers AbortMultipartUpload with 405: abort() logs it and still never throws.
  it('an aborted multipart upload leaves no object', async () => {
    const id = '20260601-120200-000F';
    const upload = await storage.upload(id, 'big.sql.gz');
    upload.stream.write(randomBytes(6 * MIB));
    await new Promise((resolve) => setImmediate(resolve));
    await upload.abort();
    expect(commands).toContain('AbortMultipartUploadCommand');
    expect(await keysUnder(`${prefix}${id}/`)).toEqual([]);
  });

  it('lists backup folders finished or not; a folder without manifest is never usable through the reader', async () => {
    const finished = '20260602-010000-000F';
    const unfinished = '20260602-020000-000I';
    for (const id of [finished, unfinished]) {
      const upload = await storage.upload(id, 'configs.tar.gz');
      await write(upload, Buffer.from('configs'));
      await upload.commit();
    }
    await storage.writeManifest(finished, '{"format":"x"}');
    // Objects outside the prefix, or not named like a backup, are not backups.
    await client.send(
      new PutObjectCommand({ Bucket: server.bucket, Key: 'elsewhere/20260602-030000-000F/x', Body: 'x' }),
    );
    await client.send(new PutObjectCommand({ Bucket: server.bucket, Key: `${prefix}notes/readme.txt`, Body: 'x' }));

    const ids = await storage.listIds();
    expect(ids).toEqual(expect.arrayContaining([finished, unfinished]));
    expect(ids).not.toContain('20260602-030000-000F');
    expect(ids.every((id) => /^\d{8}-\d{6}-\d{3}[FI]$/.test(id))).toBe(true);
    expect(await storage.readManifest(finished)).toBe('{"format":"x"}');
    expect(await storage.readManifest(unfinished)).toBeNull();
    await expect(new BackupReader(storage, KeyRing.none()).manifest(unfinished)).rejects.toMatchObject({
      code: 'BACKUP_NOT_USABLE',
    });
  });

  it('lists more than one page of backups', async () => {
    const paged = new S3BackupStorage(server.config('paged/'), client);
    const ids = Array.from({ length: 1005 }, (_, i) => `20260603-${String(100000 + i).slice(0, 6)}-000F`);
    const unique = [...new Set(ids)];
    await Promise.all(
      unique.map((id) =>
        client.send(new PutObjectCommand({ Bucket: server.bucket, Key: `paged/${id}/${MANIFEST_NAME}`, Body: '{}' })),
      ),
    );
    expect(await paged.listIds()).toEqual(unique.sort());
  }, 120_000);

  it('remove deletes the manifest first, then every object of the backup, and nothing else', async () => {
    const doomed = '20260604-010000-000F';
    const kept = '20260604-020000-000F';
    for (const id of [doomed, kept]) {
      for (const name of ['a.gz', 'b.gz']) {
        const upload = await storage.upload(id, name);
        await write(upload, Buffer.from(name));
        await upload.commit();
      }
      await storage.writeManifest(id, '{}');
    }
    commands.length = 0;
    await storage.remove(doomed);
    expect(commands[0]).toBe('DeleteObjectCommand');
    expect(commands).toContain('DeleteObjectsCommand');
    expect(await keysUnder(`${prefix}${doomed}/`)).toEqual([]);
    expect(await storage.listIds()).not.toContain(doomed);
    expect((await keysUnder(`${prefix}${kept}/`)).length).toBe(3);
    await storage.remove(doomed); // idempotent
  });

  it('replaceManifest overwrites an existing manifest and refuses to create one', async () => {
    const id = '20260605-010000-000F';
    await storage.writeManifest(id, 'v1');
    await storage.replaceManifest(id, 'v2');
    expect(await storage.readManifest(id)).toBe('v2');
    await expect(storage.replaceManifest('20260605-020000-000F', 'v1')).rejects.toThrow(/has no manifest to replace/);
    expect(await storage.readManifest('20260605-020000-000F')).toBeNull();
  });

  it('a download of a missing object errors, naming the bucket', async () => {
    await expect(readAll(storage.download('20260606-010000-000F', 'nothing.gz'))).rejects.toThrow(
      new RegExp(`S3 GetObject .* failed on s3://${server.bucket}/.*NoSuchKey`),
    );
  });

  it('refuses unsafe names and non-ids before any request', async () => {
    await expect(storage.upload('20260606-010000-000F', '../escape')).rejects.toThrow(/unsafe backup file name/);
    await expect(storage.readManifest('../../etc')).rejects.toThrow(/not a backup id/);
  });

  // The SDK's own default mode: s3rver takes the CRC32 declarations and stores the bytes alone
  // (our bodies are Buffers, never streamed with aws-chunked framing).
  it('when_supported: a multipart and a single-PUT file round-trip byte for byte', async () => {
    const supported = {
      ...server.config(prefix),
      checksumCalculation: 'when_supported',
      checksumValidation: 'when_supported',
    } as const;
    const crcClient = createS3Client(supported);
    const crcStorage = new S3BackupStorage(supported, crcClient, { firstPartBytes: FIRST_PART });
    const id = '20260607-010000-000F';
    for (const [name, data] of [
      ['big.gz', randomBytes(7 * MIB)],
      ['small.gz', randomBytes(1000)],
    ] as const) {
      const upload = await crcStorage.upload(id, name);
      await write(upload, data);
      await upload.commit();
      expect(sha(await readAll(crcStorage.download(id, name)))).toBe(sha(data));
    }
    crcClient.destroy();
  });
});
