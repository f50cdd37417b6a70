import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

export const HASH_BYTES = 32;
const READ_PAGES_PER_CHUNK = 256;

/** The page size stored in a SQLite header (bytes 16-17; the value 1 means 65536). */
export async function readPageSize(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const header = Buffer.alloc(18);
    await handle.read(header, 0, 18, 0);
    if (header.subarray(0, 16).toString('latin1') !== 'SQLite format 3\u0000')
      throw new Error(`${path} is not a SQLite database`);
    const size = header.readUInt16BE(16);
    return size === 1 ? 65_536 : size;
  } finally {
    await handle.close();
  }
}

/** Every page of a database file in order, read a few hundred pages at a time. */
export async function* readPages(path: string, pageSize: number): AsyncGenerator<{ page: Buffer; pageNumber: number }> {
  let pending: Buffer = Buffer.alloc(0);
  let pageNumber = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: pageSize * READ_PAGES_PER_CHUNK })) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    let offset = 0;
    while (pending.length - offset >= pageSize) {
      yield { page: pending.subarray(offset, offset + pageSize), pageNumber: pageNumber++ };
      offset += pageSize;
    }
    pending = pending.subarray(offset);
  }
  if (pending.length > 0) throw new Error(`${path} ends with a partial page (${pending.length} bytes)`);
}

export function pageHash(page: Buffer): Buffer {
  return createHash('sha256').update(page).digest();
}

export interface PageSummary {
  pageSize: number;
  pageCount: number;
  /** sha256 of each page, concatenated. */
  pageHashes: Buffer;
  /** sha256 of the whole file. */
  sha256: string;
}

export async function summarisePages(path: string): Promise<PageSummary> {
  const pageSize = await readPageSize(path);
  const hashes: Buffer[] = [];
  const whole = createHash('sha256');
  for await (const { page } of readPages(path, pageSize)) {
    whole.update(page);
    hashes.push(pageHash(page));
  }
  return { pageSize, pageCount: hashes.length, pageHashes: Buffer.concat(hashes), sha256: whole.digest('hex') };
}
