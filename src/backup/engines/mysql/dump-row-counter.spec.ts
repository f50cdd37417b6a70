import { DumpRowCounter } from './dump-row-counter';

const DUMP = [
  '-- MariaDB dump',
  'CREATE TABLE `logic` (`id` varchar(36));',
  "INSERT INTO `logic` VALUES ('a',1),('b',2),('c',3);",
  "INSERT INTO `logic_instance` VALUES ('x',1);",
  "INSERT INTO `logic_instance` VALUES ('y',2),('z',3);",
  '',
].join('\n');

function countIn(chunks: Buffer[]): number {
  let rows = 0;
  const counter = new DumpRowCounter((count) => (rows += count));
  for (const chunk of chunks) counter.scan(chunk);
  return rows;
}

function splitEvery(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
}

describe('DumpRowCounter', () => {
  it('counts one row per tuple of every extended INSERT', () => {
    expect(countIn([Buffer.from(DUMP)])).toBe(6);
  });

  it.each([1, 2, 3, 5, 7, 12, 13, 14, 64])('counts the same when the stream arrives in %i-byte chunks', (size) => {
    expect(countIn(splitEvery(DUMP, size))).toBe(6);
  });

  it('counts nothing in a dump without rows', () => {
    expect(countIn([Buffer.from('-- MariaDB dump\nCREATE TABLE `t` (`id` int);\n')])).toBe(0);
  });
});
