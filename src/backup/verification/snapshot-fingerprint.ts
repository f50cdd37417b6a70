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

/** Bounds on the writes-blocked window of a LockedSnapshot. */
export interface SnapshotLockLimits {
  /** How long FLUSH TABLES WITH READ LOCK may wait for running statements (lock_wait_timeout). */
  lockWaitSeconds: number;
  /** The longest writers stay blocked, counted from before the lock is asked for. */
  holdLimitMs: number;
  /** The backup's abort: the lock goes at once. */
  signal: AbortSignal;
}

/**
 * A snapshot taken under FLUSH TABLES WITH READ LOCK, so that no transaction commits until
 * `unlock()`: a dump started meanwhile takes its own snapshot at the very same point. The
 * lock is held only until the dump has its snapshot; the fingerprint is read afterwards,
 * in this snapshot, while the dump streams. Needs RELOAD (the backup account has it).
 * Writers are never blocked longer than `holdLimitMs`: past it, the lock is given up
 * (while still being taken: the session is dropped and there is no fingerprint).
 */
export class LockedSnapshot {
  private unlocking: Promise<void> | null = null;
  /** Settles once: null when UNLOCK TABLES went through, the failure when it or the session did not. */
  private readonly released: Promise<Error | null>;
  private settle!: (failure: Error | null) => void;
  private locked = false;
  private at_: MysqlPosition | null = null;
  private readonly holdLimit: NodeJS.Timeout;
  private readonly onAbort = () => this.close();

  private constructor(
    private readonly connection: Connection,
    private readonly limits: SnapshotLockLimits,
  ) {
    this.released = new Promise((resolve) => (this.settle = resolve));
    // A session killed or cut off while idle surfaces only as this event (unheard, it would
    // crash the process); fingerprint() must then fail rather than wait for an unlock.
    connection.on('error', (error: Error) => this.settle(error));
    // Started before the lock is asked for: FTWRL blocks writers while it waits, too.
    this.holdLimit = setTimeout(() => {
      if (this.locked) void this.unlock().catch(() => undefined);
      else this.close(new Error(`the read lock was not taken within ${limits.holdLimitMs} ms`));
    }, limits.holdLimitMs);
    limits.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  static async open(endpoint: MysqlEndpoint, limits: SnapshotLockLimits): Promise<LockedSnapshot> {
    limits.signal.throwIfAborted();
    const snapshot = new LockedSnapshot(await connectTo(endpoint, undefined), limits);
    // A destroyed mysql2 connection leaves its pending query unsettled: race it with the failure.
    const failed = snapshot.released.then((failure) => {
      throw failure ?? new Error('the snapshot was released before it was taken');
    });
    failed.catch(() => undefined);
    try {
      await Promise.race([snapshot.lock(), failed]);
      return snapshot;
    } catch (error) {
      snapshot.close();
      throw error;
    }
  }

  private async lock(): Promise<void> {
    await this.connection.query(
      `SET SESSION lock_wait_timeout = ${Math.max(1, Math.floor(this.limits.lockWaitSeconds))}`,
    );
    await this.connection.query('FLUSH TABLES WITH READ LOCK');
    this.locked = true;
    this.at_ = await startSnapshot(this.connection);
  }

  /** The binlog point of the snapshot. */
  get at(): MysqlPosition {
    if (!this.at_) throw new Error('the snapshot is not taken yet');
    return this.at_;
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
    clearTimeout(this.holdLimit);
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
  close(reason = new Error('the snapshot was closed before it was unlocked')): void {
    clearTimeout(this.holdLimit);
    this.limits.signal.removeEventListener('abort', this.onAbort);
    this.settle(reason);
    this.connection.destroy();
  }
}
