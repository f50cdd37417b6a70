import { Readable } from 'node:stream';
import { HASH_BYTES, pageHash, readPages } from './sqlite-pages';

/**
 * The incremental format for SQLite: the pages whose sha256 differs from the parent's,
 * and the page count of the new state (a smaller count truncates). Applied in order to
 * the parent's exact bytes, it reproduces the new file byte for byte.
 *
 *   header: "LHSQLD01" | pageSize u32 BE | pageCount u32 BE
 *   record: pageNumber u32 BE (0-based) | page bytes
 */
const MAGIC = Buffer.from('LHSQLD01', 'latin1');
const HEADER_BYTES = MAGIC.length + 8;

export interface DeltaHeader {
  pageSize: number;
  pageCount: number;
}

/** Streams the delta between `path` (the new state) and the parent's page hashes. */
export function deltaStream(
  path: string,
  header: DeltaHeader,
  parentHashes: Buffer,
  onChangedPage: () => void,
): Readable {
  async function* records(): AsyncGenerator<Buffer> {
    const head = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(head);
    head.writeUInt32BE(header.pageSize, MAGIC.length);
    head.writeUInt32BE(header.pageCount, MAGIC.length + 4);
    yield head;
    for await (const { page, pageNumber } of readPages(path, header.pageSize)) {
      const offset = pageNumber * HASH_BYTES;
      const parentHash =
        offset + HASH_BYTES <= parentHashes.length ? parentHashes.subarray(offset, offset + HASH_BYTES) : null;
      if (parentHash && parentHash.equals(pageHash(page))) continue;
      const record = Buffer.alloc(4 + page.length);
      record.writeUInt32BE(pageNumber, 0);
      page.copy(record, 4);
      onChangedPage();
      yield record;
    }
  }
  return Readable.from(records(), { objectMode: false });
}

export interface DeltaRecord {
  pageNumber: number;
  page: Buffer;
}

/** Reads a delta stream: the header first, then each record as it completes. */
export async function* readDelta(source: AsyncIterable<Buffer>): AsyncGenerator<DeltaHeader | DeltaRecord> {
  let pending: Buffer = Buffer.alloc(0);
  let header: DeltaHeader | null = null;
  for await (const chunk of source) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (!header) {
      if (pending.length < HEADER_BYTES) continue;
      if (!pending.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a logic-ha SQLite delta');
      header = { pageSize: pending.readUInt32BE(MAGIC.length), pageCount: pending.readUInt32BE(MAGIC.length + 4) };
      pending = pending.subarray(HEADER_BYTES);
      yield header;
    }
    const recordBytes = 4 + header.pageSize;
    let offset = 0;
    while (pending.length - offset >= recordBytes) {
      yield {
        pageNumber: pending.readUInt32BE(offset),
        page: Buffer.from(pending.subarray(offset + 4, offset + recordBytes)),
      };
      offset += recordBytes;
    }
    pending = pending.subarray(offset);
  }
  if (!header) throw new Error('the delta has no header');
  if (pending.length > 0) throw new Error(`the delta ends inside a record (${pending.length} bytes left)`);
}
