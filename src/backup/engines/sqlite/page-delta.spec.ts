import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import { deltaStream, readDelta } from './page-delta';
import { summarisePages } from './sqlite-pages';

const PAGE = 512;

/** A fake database file: a valid SQLite header on page 0, then pages filled with a byte each. */
function databaseFile(fills: number[]): Buffer {
  const pages = fills.map((fill) => Buffer.alloc(PAGE, fill));
  Buffer.from('SQLite format 3\u0000', 'latin1').copy(pages[0]);
  pages[0].writeUInt16BE(PAGE, 16);
  return Buffer.concat(pages);
}

async function applyDelta(base: Buffer, delta: Buffer): Promise<Buffer> {
  let result = Buffer.from(base);
  let pageCount = 0;
  for await (const item of readDelta(Readable.from([delta.subarray(0, 7), delta.subarray(7)]))) {
    if ('pageCount' in item) {
      pageCount = item.pageCount;
      continue;
    }
    const end = (item.pageNumber + 1) * PAGE;
    if (result.length < end) result = Buffer.concat([result, Buffer.alloc(end - result.length)]);
    item.page.copy(result, item.pageNumber * PAGE);
  }
  return result.subarray(0, pageCount * PAGE);
}

describe('SQLite page deltas', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logic-ha-delta-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['one page changed', [0, 1, 2, 3], [0, 1, 9, 3], 1],
    ['pages added', [0, 1], [0, 1, 2, 3], 2],
    ['file truncated', [0, 1, 2, 3], [0, 1], 0],
    ['nothing changed', [0, 1, 2], [0, 1, 2], 0],
  ])(
    '%s: the delta holds only changed pages and rebuilds the new file exactly',
    async (_name, before, after, changed) => {
      const parentPath = join(dir, 'parent.db');
      const childPath = join(dir, 'child.db');
      writeFileSync(parentPath, databaseFile(before));
      writeFileSync(childPath, databaseFile(after));
      const parent = await summarisePages(parentPath);
      const child = await summarisePages(childPath);
      let counted = 0;
      const delta = await buffer(
        deltaStream(childPath, { pageSize: PAGE, pageCount: child.pageCount }, parent.pageHashes, () => (counted += 1)),
      );
      expect(counted).toBe(changed);
      const rebuilt = await applyDelta(readFileSync(parentPath), delta);
      expect(rebuilt.equals(readFileSync(childPath))).toBe(true);
    },
  );

  it('refuses a stream that is not a delta, or that ends inside a record', async () => {
    await expect(async () => {
      for await (const _ of readDelta(Readable.from([Buffer.from('garbage garbage garbage')]))) void _;
    }).rejects.toThrow('not a logic-ha SQLite delta');
    const path = join(dir, 'one.db');
    writeFileSync(path, databaseFile([0, 1]));
    const delta = await buffer(deltaStream(path, { pageSize: PAGE, pageCount: 2 }, Buffer.alloc(0), () => undefined));
    await expect(async () => {
      for await (const _ of readDelta(Readable.from([delta.subarray(0, delta.length - 3)]))) void _;
    }).rejects.toThrow(/ends inside a record/);
  });
});
