const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** S3's limits on a multipart upload. */
export const MAX_PARTS = 10_000;
/** Every part but the last must be at least this big. */
export const MIN_PART_BYTES = 5 * MIB;
export const MAX_PART_BYTES = 5 * GIB;
/** The largest object S3 accepts (5 TiB). */
export const MAX_OBJECT_BYTES = 5 * 1024 * GIB;

/** The first part size in production: with it the schedule holds more than MAX_OBJECT_BYTES. */
export const DEFAULT_FIRST_PART_BYTES = 8 * MIB;
/** The part size doubles after each run of this many parts. */
export const PARTS_PER_STEP = 1000;

/**
 * The size of part `partNumber` (1-based) of a stream whose length is unknown in advance
 * (a dump): small parts while the object is small, so memory stays low for typical
 * databases, doubling every PARTS_PER_STEP parts so that a huge one still fits in
 * MAX_PARTS. A fixed part size either wastes memory on small backups or fails on large
 * ones (pgbackrest#2679). With 8 MiB first parts, 1 TB ends near part 6,900 with 512 MiB
 * parts and 5 TiB fits in 10,000 parts (see part-size.spec.ts).
 */
export function partSize(partNumber: number, firstPartBytes = DEFAULT_FIRST_PART_BYTES): number {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS)
    throw new RangeError(`part number must be 1..${MAX_PARTS}, got ${partNumber}`);
  if (firstPartBytes < MIN_PART_BYTES) throw new RangeError(`the first part must be at least ${MIN_PART_BYTES} bytes`);
  const step = Math.floor((partNumber - 1) / PARTS_PER_STEP);
  return Math.min(firstPartBytes * 2 ** step, MAX_PART_BYTES);
}

/** How many bytes parts 1..parts hold together. */
export function capacityOf(parts: number, firstPartBytes = DEFAULT_FIRST_PART_BYTES): number {
  let total = 0;
  for (let part = 1; part <= parts; part++) total += partSize(part, firstPartBytes);
  return total;
}

/** How many parts an object of `bytes` bytes takes (the last one may be short). */
export function partsFor(bytes: number, firstPartBytes = DEFAULT_FIRST_PART_BYTES): number {
  let total = 0;
  for (let part = 1; part <= MAX_PARTS; part++) {
    total += partSize(part, firstPartBytes);
    if (total >= bytes) return part;
  }
  throw new RangeError(`${bytes} bytes do not fit in ${MAX_PARTS} parts`);
}
