import { type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { FileRole, ManifestFile } from '../backup.types';
import { ENCRYPTED_SUFFIX, type FileSeal } from '../crypto/file-seal';
import type { BackupStorage } from '../storage/backup-storage';
import { ByteMeter } from './byte-meter';

/** Bigger than zlib's 16 KiB default: fewer, larger chunks through the hash and the file write. */
const GZIP_CHUNK_BYTES = 256 * 1024;

export interface StoreOptions {
  compressionLevel: number;
  signal?: AbortSignal;
  /** Called with raw (uncompressed) byte counts as they pass, for progress. */
  onBytes?: (count: number) => void;
  /** Sees every raw chunk as it passes (a row counter), without a stage of its own. */
  onRawChunk?: (chunk: Buffer) => void;
  /** The backup's data key when it is encrypted: files then pass through it after gzip. */
  seal?: FileSeal | null;
  /**
   * Runs first when the pipeline or the commit fails, before the partial upload is aborted:
   * an engine stops its child there, so the dump lets go of its connection and snapshot
   * without waiting on a service that may not answer. Should not throw.
   */
  onFailure?: () => Promise<void>;
}

/**
 * Streams `source` through gzip and sha256 into storage and returns the manifest entry.
 * The stored name gets `.gz` (and `.enc` when encrypted); sha256 and size are of the stored
 * bytes. On any failure `onFailure` runs, then the partial upload is removed (bounded: the
 * storage's abort never hangs), and only then the error is rethrown: a backup's later
 * cleanup must find no upload still in progress.
 */
export async function storeFile(
  storage: BackupStorage,
  backupId: string,
  name: string,
  role: FileRole,
  source: Readable,
  options: StoreOptions,
): Promise<ManifestFile> {
  const seal = options.seal ?? null;
  const storedName = seal ? `${name}.gz${ENCRYPTED_SUFFIX}` : `${name}.gz`;
  const cipher = seal ? [seal.encryptor(storedName)] : [];
  const upload = await storage.upload(backupId, storedName);
  const raw = new ByteMeter({}, (count, chunk) => {
    options.onBytes?.(count);
    options.onRawChunk?.(chunk);
  });
  const stored = new ByteMeter({ hash: true });
  try {
    await pipeline(
      source,
      raw,
      createGzip({ level: options.compressionLevel, chunkSize: GZIP_CHUNK_BYTES }),
      ...cipher,
      stored,
      upload.stream,
      { signal: options.signal },
    );
    await upload.commit();
  } catch (error) {
    await options.onFailure?.().catch(() => undefined);
    await upload.abort();
    throw error;
  }
  return { name: storedName, role, sizeBytes: stored.bytes, sha256: stored.digest(), rawBytes: raw.bytes };
}
