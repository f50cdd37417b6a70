import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DEFAULT_CHUNK_BYTES } from '../../src/backup/crypto/chunk-cipher';
import { FileSeal } from '../../src/backup/crypto/file-seal';

const GIB = 1024 ** 3;
/** What gzip hands the encryptor in a backup (store-file.ts's GZIP_CHUNK_BYTES). */
const ENCRYPT_INPUT_PIECE = 256 * 1024;
/** A file read's default highWaterMark: roughly what a restore hands the decryptor. */
const DECRYPT_INPUT_PIECE = 64 * 1024;
const FILE_NAME = 'dump.sql.gz.enc';

export interface StageCost {
  /** CPU (user + system, all threads of this process) per GiB of input. */
  cpuSecondsPerGiB: number;
  wallSeconds: number;
  mibPerSecond: number;
}

/** `total` bytes as `piece`-sized views over `data`, repeated as needed (no copies). */
function slices(data: Buffer, total: number, piece: number): Buffer[] {
  const list: Buffer[] = [];
  for (let done = 0; done < total;) {
    for (let at = 0; at < data.length && done < total; at += piece) {
      const slice = data.subarray(at, Math.min(at + piece, data.length, at + total - done));
      list.push(slice);
      done += slice.length;
    }
  }
  return list;
}

/** Discards what it gets, or keeps it when `keep` is given. */
function sink(keep?: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      keep?.push(chunk);
      callback();
    },
  });
}

async function measure(bytes: number, work: () => Promise<void> | void): Promise<StageCost> {
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await work();
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    cpuSecondsPerGiB: (cpu.user + cpu.system) / 1e6 / (bytes / GIB),
    wallSeconds: wall,
    mibPerSecond: bytes / (1024 * 1024) / wall,
  };
}

const through = (pieces: Buffer[], ...stages: Transform[]) =>
  pipeline(Readable.from(pieces), ...(stages as [Transform]), sink());

/** One cipher over the whole input in 1 MiB updates: no streams, no format, no copies of ours. */
function rawGcm(pieces: Buffer[], key: Buffer, decrypt: boolean): void {
  const iv = Buffer.alloc(12);
  const cipher = decrypt ? createDecipheriv('aes-256-gcm', key, iv) : createCipheriv('aes-256-gcm', key, iv);
  for (const piece of pieces) cipher.update(piece);
  if (!decrypt) cipher.final(); // decrypting garbage has no valid tag to check; update alone is the work
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function medianCost(runs: StageCost[]): StageCost {
  const r3 = (n: number) => Math.round(n * 1000) / 1000;
  return {
    cpuSecondsPerGiB: r3(median(runs.map((r) => r.cpuSecondsPerGiB))),
    wallSeconds: r3(median(runs.map((r) => r.wallSeconds))),
    mibPerSecond: Math.round(median(runs.map((r) => r.mibPerSecond))),
  };
}

/**
 * The CPU cost of backup encryption alone, on `totalBytes` of `data` held in memory (the
 * dump's SQL, repeated): the stream stages as a backup uses them (FileSeal's encryptor fed
 * 256 KiB pieces, its decryptor fed 64 KiB pieces of the encrypted output), next to gzip
 * level 1 of the same bytes for scale, Node's bare aes-256-gcm (one cipher, 1 MiB updates)
 * as the floor, and the same pipeline with no transform (the cost of the stream plumbing
 * itself). Each stage runs `repeats` times, the median is reported.
 */
export async function measureCipherCost(data: Buffer, totalBytes: number, repeats = 3) {
  const seal = new FileSeal(randomBytes(32), DEFAULT_CHUNK_BYTES);
  const encryptInput = slices(data, totalBytes, ENCRYPT_INPUT_PIECE);
  const rawInput = slices(data, totalBytes, 1024 * 1024);
  const key = randomBytes(32);
  const sealed: Buffer[] = [];
  await pipeline(Readable.from(encryptInput), seal.encryptor(FILE_NAME), sink(sealed));
  const sealedBytes = sealed.reduce((sum, b) => sum + b.length, 0);
  const decryptInput = slices(Buffer.concat(sealed), sealedBytes, DECRYPT_INPUT_PIECE);
  sealed.length = 0;

  const stages = {
    streamOnly: () => through(encryptInput),
    gzip1: () => through(encryptInput, createGzip({ level: 1, chunkSize: ENCRYPT_INPUT_PIECE })),
    chunkEncryptor: () => through(encryptInput, seal.encryptor(FILE_NAME)),
    chunkDecryptor: () => through(decryptInput, seal.decryptor(FILE_NAME)),
    rawGcmEncrypt: () => rawGcm(rawInput, key, false),
    rawGcmDecrypt: () => rawGcm(rawInput, key, true),
  };
  const runs: Record<string, StageCost[]> = {};
  for (let i = 0; i < repeats; i++)
    for (const [name, work] of Object.entries(stages)) (runs[name] ??= []).push(await measure(totalBytes, work));
  return {
    inputMiB: Math.round(totalBytes / (1024 * 1024)),
    chunkBytes: DEFAULT_CHUNK_BYTES,
    ...(Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, medianCost(list)])) as Record<
      keyof typeof stages,
      StageCost
    >),
  };
}
