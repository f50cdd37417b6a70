import type { Readable, Writable } from 'node:stream';

/** A file being written: bytes go to `stream`; only `commit()` makes it visible. */
export interface StorageUpload {
  stream: Writable;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Where backups live: one folder (or object prefix) per backup id, holding data files and
 * a manifest written last. Engines see only this interface, so an object store (S3:
 * multipart upload per file, PutObject for the manifest, ListObjectsV2 by prefix) is a
 * second driver and nothing else changes. Every method streams; nothing holds a whole
 * file in memory.
 */
export abstract class BackupStorage {
  /** For logs and status: where backups go, without secrets. */
  abstract readonly description: string;

  abstract upload(backupId: string, fileName: string): Promise<StorageUpload>;

  abstract download(backupId: string, fileName: string): Readable;

  /** Atomic: readers see the old manifest, or none, or the whole new one. */
  abstract writeManifest(backupId: string, text: string): Promise<void>;

  /**
   * Overwrites the manifest of a finished backup (key rotation re-wraps its data key). Atomic
   * like writeManifest; throws when the backup has no manifest, so it never creates one.
   */
  abstract replaceManifest(backupId: string, text: string): Promise<void>;

  /** null when the backup has no manifest (never finished, or being deleted). */
  abstract readManifest(backupId: string): Promise<string | null>;

  /** Every backup folder, finished or not. */
  abstract listIds(): Promise<string[]>;

  /** Removes the manifest first, so a half-removed backup is never seen as usable. */
  abstract remove(backupId: string): Promise<void>;
}
