import type { Connection } from 'mysql2/promise';
import type { MysqlEndpoint } from '../../config/mysql-url';
import type { BackupVerification, MysqlPosition } from '../backup.types';
import { connectTo, queryRows } from '../engines/mysql/mysql-client';
import { fingerprintDatabase } from './table-fingerprint';

/**
 * Opens a consistent snapshot on `connection` (REPEATABLE READ, as mariadb-dump
 * --single-transaction reads) and returns the binlog point it stands at: MariaDB's
 * binlog_snapshot_file/position belong to the snapshot, not to "now".
 */
export async function startSnapshot(connection: Connection): Promise<MysqlPosition> {
  await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
  const status = await queryRows<{ Variable_name: string; Value: string }>(
    connection,
    "SHOW STATUS LIKE 'binlog_snapshot_%'",
  );
  const value = (name: string) => status.find((row) => row.Variable_name.toLowerCase() === name)?.Value ?? '';
  const binlogFile = value('binlog_snapshot_file');
  const binlogPosition = Number(value('binlog_snapshot_position'));
  if (!binlogFile) throw new Error('the server reports no binlog snapshot position: is the binary log enabled?');
  const [row] = await queryRows<{ pos: string | null }>(connection, 'SELECT BINLOG_GTID_POS(?, ?) AS pos', [
    binlogFile,
    binlogPosition,
  ]);
  return { kind: 'mysql', gtid: row.pos ?? '', binlogFile, binlogPosition };
}

/** Fingerprints `database` in a snapshot of its own, then ends the transaction (the incremental's way). */
export async function fingerprintAtSnapshot(connection: Connection, database: string): Promise<BackupVerification> {
  try {
    const at = await startSnapshot(connection);
    return { at, tables: await fingerprintDatabase(connection, database) };
  } finally {
    await connection.query('COMMIT');
  }
}

/**
 * A snapshot taken under FLUSH TABLES WITH READ LOCK, so that no transaction commits until
 * `unlock()`: a dump started meanwhile takes its own snapshot at the very same point. The
 * lock is held only until the dump has its snapshot; the fingerprint is read afterwards,
 * in this snapshot, while the dump streams. Needs RELOAD (the backup account has it).
 */
export class LockedSnapshot {
  private unlocking: Promise<void> | null = null;
  /** Settles once: null when UNLOCK TABLES went through, the failure when it or the session did not. */
  private readonly released: Promise<Error | null>;
  private settle!: (failure: Error | null) => void;

  private constructor(
    private readonly connection: Connection,
    readonly at: MysqlPosition,
  ) {
    this.released = new Promise((resolve) => (this.settle = resolve));
    // A session killed or cut off while idle surfaces only as this event (unheard, it would
    // crash the process); fingerprint() must then fail rather than wait for an unlock.
    connection.on('error', (error: Error) => this.settle(error));
  }

  static async open(endpoint: MysqlEndpoint): Promise<LockedSnapshot> {
    const connection = await connectTo(endpoint, undefined);
    try {
      await connection.query('FLUSH TABLES WITH READ LOCK');
      return new LockedSnapshot(connection, await startSnapshot(connection));
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  /** The server's id of the locking session (for logs and tests). */
  get sessionId(): number {
    return this.connection.threadId;
  }

  /**
   * Lets writers go on; the snapshot (and so the fingerprint's view) stays. Idempotent.
   * Whatever the outcome, fingerprint() stops waiting: a failed UNLOCK means a lost session.
   */
  unlock(): Promise<void> {
    this.unlocking ??= this.connection.query('UNLOCK TABLES').then(
      () => this.settle(null),
      (error: Error) => {
        this.settle(error);
        throw error;
      },
    );
    return this.unlocking;
  }

  /** Waits for unlock(), then reads every table in the snapshot; rejects if the unlock or the session failed. */
  async fingerprint(database: string): Promise<BackupVerification> {
    const failure = await this.released;
    if (failure) throw new Error(`the snapshot session was lost: ${failure.message}`);
    return { at: this.at, tables: await fingerprintDatabase(this.connection, database) };
  }

  /** Ends the connection: the lock and the snapshot go with it, whatever state they are in. */
  close(): void {
    this.settle(new Error('the snapshot was closed before it was unlocked'));
    this.connection.destroy();
  }
}
