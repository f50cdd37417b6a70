const ROW_SEPARATOR = Buffer.from('),(');
const INSERT_START = Buffer.from('\nINSERT INTO ');
const NEEDLES = [ROW_SEPARATOR, INSERT_START];
/** Enough of the previous chunk's tail to complete any needle that starts in it. */
const CARRY_BYTES = INSERT_START.length - 1;

/**
 * Counts the rows of a `mariadb-dump --extended-insert` stream as it passes, for progress:
 * one per INSERT statement plus one per `),(` between tuples. A string value holding `),(`
 * counts as an extra row; that is fine for a progress display, and nothing else reads it.
 */
export class DumpRowCounter {
  private carry = Buffer.alloc(0);

  constructor(private readonly onRows: (count: number) => void) {}

  readonly scan = (chunk: Buffer): void => {
    let rows = 0;
    for (const needle of NEEDLES) rows += occurrences(chunk, needle);
    if (this.carry.length > 0) {
      const seam = Buffer.concat([this.carry, chunk.subarray(0, CARRY_BYTES)]);
      for (const needle of NEEDLES) rows += spanning(seam, needle, this.carry.length);
    }
    const tail = chunk.length >= CARRY_BYTES ? chunk : Buffer.concat([this.carry, chunk]);
    this.carry = Buffer.from(tail.subarray(Math.max(0, tail.length - CARRY_BYTES)));
    if (rows > 0) this.onRows(rows);
  };
}

function occurrences(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) count += 1;
  return count;
}

/** Occurrences that start before `boundary` and end after it: split between two chunks. */
function spanning(seam: Buffer, needle: Buffer, boundary: number): number {
  let count = 0;
  for (let at = seam.indexOf(needle); at >= 0 && at < boundary; at = seam.indexOf(needle, at + 1))
    if (at + needle.length > boundary) count += 1;
  return count;
}
