import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { BackupManifest, ManifestFile } from '../backup.types';
import type { BackupStorage } from '../storage/backup-storage';
import { checkBackupFiles, openStoredFile } from './read-file';

const FILE: ManifestFile = { name: 'database.sqlite.gz', role: 'database', sizeBytes: 0, sha256: '', rawBytes: 0 };

/** A download that stays open (like an S3 body or a file read) until someone destroys it. */
function openDownload(): { storage: BackupStorage; source: Readable } {
  const source = new Readable({ read() {} });
  source.push(gzipSync(Buffer.alloc(64 * 1024, 'x')));
  return { storage: { download: () => source } as unknown as BackupStorage, source };
}

describe('openStoredFile', () => {
  it('a consumer destroying the returned stream destroys the download too', async () => {
    const { storage, source } = openDownload();
    const content = openStoredFile(storage, '20261127-020000-000F', FILE);
    content.resume();
    content.destroy(new Error('the restore failed'));
    await finished(content).catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve)); // pipeline tears down on the close event
    expect(source.destroyed).toBe(true);
  });

  it('a damaged download reaches the consumer as an error, and the download is closed', async () => {
    const source = Readable.from([Buffer.from('not gzip at all')]);
    const storage = { download: () => source } as unknown as BackupStorage;
    const content = openStoredFile(storage, '20261127-020000-000F', FILE);
    await expect(finished(content.resume())).rejects.toThrow(/incorrect header check/);
    expect(source.destroyed).toBe(true);
  });
});

describe('checkBackupFiles without the data key', () => {
  const bytes = Buffer.from('LHAENC-some-sealed-bytes');
  const storage = { download: () => Readable.from([bytes]) } as unknown as BackupStorage;
  const file = (sha256: string): ManifestFile => ({
    name: 'database.sqlite.gz.enc',
    role: 'database',
    sizeBytes: bytes.length,
    sha256,
    rawBytes: 1,
  });
  const good = createHash('sha256').update(bytes).digest('hex');
  const encryption = { cipher: 'aes-256-gcm', keyId: 'k1', wrappedKey: 'x', chunkBytes: 1024 } as const;
  const manifestOf = (f: ManifestFile, encrypted: boolean) =>
    ({ id: '20261127-020000-000F', files: [f], ...(encrypted ? { encryption } : {}) }) as BackupManifest;

  it('an encrypted backup is checked by size and sha256 against its manifest', async () => {
    expect(await checkBackupFiles(storage, manifestOf(file(good), true))).toEqual([
      { file: 'database.sqlite.gz.enc', ok: true },
    ]);
    const [bad] = await checkBackupFiles(storage, manifestOf(file('0'.repeat(64)), true));
    expect(bad).toMatchObject({ ok: false, problem: expect.stringContaining('sha256 is') });
  });

  it('a plain manifest naming an encrypted file is refused, not hashed', async () => {
    const [check] = await checkBackupFiles(storage, manifestOf(file(good), false));
    expect(check).toMatchObject({ ok: false, problem: 'is encrypted: no data key given' });
  });
});
