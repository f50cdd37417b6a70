import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ChunkDecryptor, ChunkEncryptor, HEADER_BYTES, SealBrokenError, TAG_BYTES } from './chunk-cipher';

const CHUNK = 1024;
const KEY = randomBytes(32);

async function collect(source: Readable, ...stages: NodeJS.ReadWriteStream[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
  });
  await pipeline(source, ...(stages as [NodeJS.ReadWriteStream]), sink);
  return Buffer.concat(parts);
}

/** Feeds `bytes` in uneven pieces, as storage reads do. */
function pieces(bytes: Buffer, size = 333): Readable {
  const list: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) list.push(bytes.subarray(at, at + size));
  return Readable.from(list);
}

const encrypt = (plain: Buffer, name = 'dump.sql.gz.enc') =>
  collect(pieces(plain), new ChunkEncryptor(KEY, name, CHUNK));
const decrypt = (sealed: Buffer, name = 'dump.sql.gz.enc', key = KEY) =>
  collect(pieces(sealed, 500), new ChunkDecryptor(key, name, CHUNK));
/** Where chunk i starts in the stored file. */
const chunkAt = (i: number) => HEADER_BYTES + i * (CHUNK + TAG_BYTES);

describe('chunked AES-256-GCM file format', () => {
  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17])(
    'round-trips %i bytes; the stored size is header + data + one tag per chunk',
    async (size) => {
      const plain = randomBytes(size);
      const sealed = await encrypt(plain);
      const chunks = Math.max(1, Math.ceil(size / CHUNK));
      expect(sealed.length).toBe(HEADER_BYTES + size + chunks * TAG_BYTES);
      expect(sealed.subarray(0, 6).toString('ascii')).toBe('LHAENC');
      expect(await decrypt(sealed)).toEqual(plain);
    },
  );

  it('uses a fresh salt per file: the same plaintext never gives the same bytes', async () => {
    const plain = randomBytes(2000);
    expect((await encrypt(plain)).equals(await encrypt(plain))).toBe(false);
  });

  it('refuses a flipped byte in a middle chunk, and passes on nothing of that chunk', async () => {
    const plain = randomBytes(3 * CHUNK + 5);
    const sealed = await encrypt(plain);
    sealed[chunkAt(1) + 100] ^= 0x01;
    const passed: Buffer[] = [];
    const decryptor = new ChunkDecryptor(KEY, 'dump.sql.gz.enc', CHUNK);
    decryptor.on('data', (chunk: Buffer) => passed.push(chunk));
    await expect(pipeline(pieces(sealed), decryptor)).rejects.toThrow('chunk 1 failed authentication');
    expect(Buffer.concat(passed)).toEqual(plain.subarray(0, CHUNK)); // chunk 0 only
  });

  it.each([
    ['the last chunk dropped', (s: Buffer) => s.subarray(0, chunkAt(2))],
    ['cut inside a chunk', (s: Buffer) => s.subarray(0, chunkAt(1) + 40)],
    ['cut to fewer bytes than a tag', (s: Buffer) => s.subarray(0, chunkAt(2) + 3)],
    ['cut inside the header', (s: Buffer) => s.subarray(0, 10)],
    [
      'two chunks swapped',
      (s: Buffer) =>
        Buffer.concat([
          s.subarray(0, chunkAt(0)),
          s.subarray(chunkAt(1), chunkAt(2)),
          s.subarray(chunkAt(0), chunkAt(1)),
          s.subarray(chunkAt(2)),
        ]),
    ],
    ['a middle chunk dropped', (s: Buffer) => Buffer.concat([s.subarray(0, chunkAt(1)), s.subarray(chunkAt(2))])],
    ['a bad magic', (s: Buffer) => Buffer.concat([Buffer.from('XXXXXX'), s.subarray(6)])],
    ['an unknown version', (s: Buffer) => Buffer.concat([s.subarray(0, 6), Buffer.from([9]), s.subarray(7)])],
  ])('detects %s', async (_case, damage) => {
    const sealed = await encrypt(randomBytes(2 * CHUNK + 100));
    await expect(decrypt(damage(sealed))).rejects.toBeInstanceOf(SealBrokenError);
  });

  it('detects a file cut exactly after a full chunk (no final chunk)', async () => {
    const sealed = await encrypt(randomBytes(2 * CHUNK)); // chunk 0 full, chunk 1 full and final
    await expect(decrypt(sealed.subarray(0, chunkAt(1)))).rejects.toThrow(
      'chunk 0 (the last one) failed authentication',
    );
  });

  it('binds each file to its name and to the data key', async () => {
    const sealed = await encrypt(randomBytes(100), 'a.gz.enc');
    await expect(decrypt(sealed, 'b.gz.enc')).rejects.toThrow('failed authentication');
    await expect(decrypt(sealed, 'a.gz.enc', randomBytes(32))).rejects.toThrow('failed authentication');
  });
});
