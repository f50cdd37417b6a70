import {
  DEFAULT_FIRST_PART_BYTES,
  MAX_OBJECT_BYTES,
  MAX_PARTS,
  MAX_PART_BYTES,
  MIN_PART_BYTES,
  capacityOf,
  partSize,
  partsFor,
} from './part-size';

const MIB = 1024 * 1024;
const TB = 1e12;

describe('the multipart part-size schedule', () => {
  it('holds 1 TB well under 10,000 parts, with parts no bigger than 512 MiB', () => {
    const parts = partsFor(TB);
    expect(parts).toBeLessThan(MAX_PARTS);
    expect(parts).toBe(6879);
    expect(partSize(parts)).toBe(512 * MIB);
  });

  it('holds the 5 TiB S3 maximum in 10,000 parts', () => {
    expect(capacityOf(MAX_PARTS)).toBeGreaterThanOrEqual(MAX_OBJECT_BYTES);
    expect(partsFor(MAX_OBJECT_BYTES)).toBeLessThanOrEqual(MAX_PARTS);
  });

  it('never goes below S3’s 5 MiB minimum nor above its 5 GiB maximum', () => {
    for (let part = 1; part <= MAX_PARTS; part++) {
      const size = partSize(part);
      expect(size).toBeGreaterThanOrEqual(MIN_PART_BYTES);
      expect(size).toBeLessThanOrEqual(MAX_PART_BYTES);
    }
  });

  it.each([
    [1, 8 * MIB],
    [1000, 8 * MIB],
    [1001, 16 * MIB],
    [2001, 32 * MIB],
    [9001, 4096 * MIB],
    [10_000, 4096 * MIB],
  ])('part %i is %i bytes', (part, bytes) => {
    expect(partSize(part, DEFAULT_FIRST_PART_BYTES)).toBe(bytes);
  });

  it('small backups stay in small parts: 100 MB is 12 parts of 8 MiB', () => {
    expect(partsFor(100e6)).toBe(12);
  });

  it('grows from a smaller first part too (the tests use 5 MiB)', () => {
    expect(partSize(1, 5 * MIB)).toBe(5 * MIB);
    expect(partSize(1001, 5 * MIB)).toBe(10 * MIB);
  });

  it.each([0, 10_001, 1.5])('refuses part number %p', (part) => {
    expect(() => partSize(part)).toThrow(RangeError);
  });

  it('refuses a first part below 5 MiB', () => {
    expect(() => partSize(1, MIB)).toThrow(/at least 5242880 bytes/);
  });

  it('refuses an object larger than 10,000 parts hold', () => {
    expect(() => partsFor(capacityOf(MAX_PARTS) + 1)).toThrow(RangeError);
  });
});
