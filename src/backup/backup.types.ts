export const BACKUP_TYPES = ['full', 'incremental'] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];

export const BACKUP_STATES = ['running', 'succeeded', 'failed', 'expired'] as const;
export type BackupState = (typeof BACKUP_STATES)[number];

export type EngineName = 'mysql' | 'sqlite';

/** Who asked for a backup. */
export type BackupTrigger = 'manual' | 'schedule' | 'upgrade';

/** A point in a MariaDB/MySQL binary log history. */
export interface MysqlPosition {
  kind: 'mysql';
  /** GTID position (`domain-server-seq[,…]`); '' on a server that never logged a transaction. */
  gtid: string;
  binlogFile: string;
  binlogPosition: number;
}

/** The exact state of a SQLite file: its page layout and the hash of every byte. */
export interface SqlitePosition {
  kind: 'sqlite';
  pageSize: number;
  pageCount: number;
  sha256: string;
}

export type ChainPosition = MysqlPosition | SqlitePosition;

/** What a stored file holds; restore uses the role, never the name, to decide what to do. */
export type FileRole = 'dump' | 'binlog' | 'database' | 'pages' | 'delta' | 'configs';

export interface ManifestFile {
  name: string;
  role: FileRole;
  /** Bytes as stored (compressed). */
  sizeBytes: number;
  /** sha256 of the stored bytes, hex. */
  sha256: string;
  /** Bytes before compression. */
  rawBytes: number;
}

export const MANIFEST_FORMAT = 'logic-ha/backup@1';

/** Written last: a backup without a manifest does not exist for restore or the catalog. */
export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  id: string;
  type: BackupType;
  parentId: string | null;
  tag: string | null;
  /** Who asked for it; absent in manifests older than this field. */
  triggeredBy?: BackupTrigger;
  engine: EngineName;
  serverVersion: string;
  /** Newest applied migration, e.g. `1764201600000 (ha-1)`. */
  schemaVersion: string | null;
  /** The source database's name (MariaDB), so restore can rewrite it. */
  sourceDatabase: string | null;
  /** Where this backup starts: the parent's end; null for a full. */
  start: ChainPosition | null;
  end: ChainPosition;
  startedAt: string;
  finishedAt: string;
  files: ManifestFile[];
  /** Present when the files are encrypted (docs/backups-encryption.md); absent in plain backups. */
  encryption?: ManifestEncryption;
  /** What the data looked like at a recorded point, for test restores; absent when none was taken. */
  verification?: BackupVerification;
}

/** How a backup's files are encrypted: its data key, wrapped by the master key `keyId`. */
export interface ManifestEncryption {
  cipher: 'aes-256-gcm';
  keyId: string;
  /** base64 of iv (12 bytes) | tag (16) | the encrypted 32-byte data key. */
  wrappedKey: string;
  /** Plaintext bytes per encrypted chunk. */
  chunkBytes: number;
}

/** One table's fingerprint: its row count and an order-independent 64-bit checksum of its rows (decimal). */
export interface TableFingerprint {
  rows: number;
  checksum: string;
}

/**
 * Every base table of the source database at `at`, a point this backup's chain can be
 * restored to exactly: a full's own dump snapshot, or a point inside an incremental's binlog.
 */
export interface BackupVerification {
  at: MysqlPosition;
  tables: Record<string, TableFingerprint>;
}

/** Live progress of a running backup or restore. */
export interface Progress {
  phase: string;
  bytes: number;
  files: number;
  /** Table rows passed so far (MariaDB dumps); approximate. */
  rows: number;
  /** 0..100 when the total is known in advance. */
  percent: number | null;
}
