import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import * as lockfile from 'proper-lockfile';
import { type Connection, type RowDataPacket, createConnection } from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import type { MysqlEndpoint } from '../../config/mysql-url';
import { DomainError, ErrorKind } from '../../common/errors/domain-error';
import { messageOf } from '../../common/errors/error-message';
import { MigrationErrorCode } from './migration-errors';

export interface HeldLock {
  /** Throws when the lock was lost (its connection dropped, its file went stale). */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

/** One migration run at a time per database, across processes and nodes. */
export interface MigrationLock {
  /** Waits up to `timeoutMs` (at least one attempt), then fails naming the holder when it can. */
  acquire(timeoutMs: number): Promise<HeldLock>;
}

/** How often a waiting node says whom it waits for. */
const WAIT_REPORT_MS = 10_000;

/**
 * The lock of the database a data source is connected to. `connectTimeoutMs` overrides the
 * data source's own connect timeout for the lock's connection (the start's first attempt
 * gives up early on a hung server).
 */
export function migrationLockFor(dataSource: DataSource, override: { connectTimeoutMs?: number } = {}): MigrationLock {
  const options = dataSource.options as {
    type: string;
    database?: string;
    host?: string;
    port?: number;
    username?: string;
    password?: string;
    connectTimeout?: number;
  };
  if (options.type === 'better-sqlite3') return new SqliteMigrationLock(String(options.database));
  return new MysqlMigrationLock(
    {
      host: String(options.host),
      port: Number(options.port),
      user: String(options.username),
      password: options.password ?? '',
      database: String(options.database),
    },
    override.connectTimeoutMs ?? options.connectTimeout,
  );
}

/** The lock of a database named by a restore target: a `mysql://` URL or a SQLite file path. */
export function migrationLockForTarget(target: MysqlEndpoint | string): MigrationLock {
  return typeof target === 'string' ? new SqliteMigrationLock(target) : new MysqlMigrationLock(target);
}

function lockTimeout(description: string, timeoutMs: number, holder: string): DomainError {
  return new DomainError(
    MigrationErrorCode.LockTimeout,
    ErrorKind.Unavailable,
    `the migration lock of ${description} stayed held by another process (${holder}) for the ${timeoutMs} ms this run waited; ` +
      'it is probably applying migrations: wait for it, or stop it, then try again (MIGRATION_LOCK_TIMEOUT_MS sets the wait)',
  );
}

/**
 * MariaDB/MySQL: `GET_LOCK` on a connection of its own, outside the app's pool (a pool of
 * one would otherwise have nothing left for the migrations). The server releases the lock
 * when that session ends, so a killed process never leaves it behind; lock names are
 * server-wide (so the lock survives DROP DATABASE during a restore), hence the database
 * name in it, hashed when too long for the 64-character limit.
 */
export class MysqlMigrationLock implements MigrationLock {
  private readonly logger = new Logger('Migrations');
  private readonly name: string;

  constructor(
    private readonly endpoint: MysqlEndpoint,
    private readonly connectTimeoutMs = 10_000,
  ) {
    const name = `logic_ha.migrate.${endpoint.database}`;
    this.name =
      name.length <= 64
        ? name
        : `logic_ha.migrate.${createHash('sha256').update(endpoint.database).digest('hex').slice(0, 40)}`;
  }

  private get server(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  async acquire(timeoutMs: number): Promise<HeldLock> {
    const { host, port, user, password } = this.endpoint;
    const connection = await createConnection({
      host,
      port,
      user,
      password,
      connectTimeout: this.connectTimeoutMs,
      enableKeepAlive: true,
    });
    // A dropped lock connection must not crash the process; assertHeld reports it.
    connection.on('error', () => undefined);
    try {
      // The session sits idle through a backup and long steps: the server's idle timeout must not end it (and free the lock).
      await connection.query('SET SESSION wait_timeout = 31536000');
      await this.waitFor(connection, timeoutMs);
    } catch (error) {
      connection.destroy();
      throw error;
    }
    return {
      assertHeld: async () => {
        const [rows] = await connection
          .query<RowDataPacket[]>('SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS held', [this.name])
          .catch(() => [[{ held: 0 }]]);
        if (Number(rows[0]?.held) !== 1) {
          throw new DomainError(
            MigrationErrorCode.LockLost,
            ErrorKind.Unavailable,
            `the migration lock on ${this.server} was lost (its connection dropped); stopped before the next step`,
          );
        }
      },
      release: async () => {
        await connection.query('SELECT RELEASE_LOCK(?)', [this.name]).catch(() => undefined);
        await connection.end().catch(() => connection.destroy());
      },
    };
  }

  private async waitFor(connection: Connection, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // Whole seconds: MySQL rounds a fractional GET_LOCK timeout (MariaDB would take it).
      const waitSeconds = Math.ceil(Math.max(0, Math.min(deadline - Date.now(), WAIT_REPORT_MS)) / 1000);
      const [rows] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS acquired', [
        this.name,
        waitSeconds,
      ]);
      const acquired = rows[0].acquired as number | string | null;
      if (Number(acquired) === 1) return;
      if (acquired === null)
        throw new Error(
          `GET_LOCK('${this.name}') on ${this.server} returned NULL: the server reported an error or killed the session`,
        );
      const holder = await this.describeHolder(connection);
      if (Date.now() >= deadline)
        throw lockTimeout(`database ${this.endpoint.database} on ${this.server}`, timeoutMs, holder);
      this.logger.warn({ msg: 'waiting for the migration lock', lock: this.name, holder });
    }
  }

  private async describeHolder(connection: Connection): Promise<string> {
    const [used] = await connection.query<RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS id', [this.name]);
    const id = used[0]?.id as number | null | undefined;
    if (id === null || id === undefined) return 'holder unknown';
    // Seeing another account's session needs PROCESS; without it only the id is known.
    const [sessions] = await connection
      .query<RowDataPacket[]>('SELECT HOST AS host, TIME AS seconds FROM information_schema.PROCESSLIST WHERE ID = ?', [
        id,
      ])
      .catch(() => [[] as RowDataPacket[]]);
    const session = sessions[0];
    return session ? `connection ${id} from ${session.host}, ${session.seconds} s` : `connection ${id}`;
  }
}

/**
 * A lock not refreshed for this long belongs to a dead process. Long, because better-sqlite3
 * runs a statement synchronously and no refresh timer fires meanwhile: a table rebuild of
 * a minute must not look dead. (Each step also re-checks, inside its write transaction,
 * that no one applied it, so even a lock taken over never applies a migration twice.)
 */
const SQLITE_LOCK_STALE_MS = 120_000;
const SQLITE_RETRY_MS = 100;

/**
 * SQLite: proper-lockfile's lock directory next to the database file, refreshed while held,
 * so a killed holder's lock goes stale. A file lock, not `BEGIN EXCLUSIVE`, because each
 * migration runs in its own transaction on the same connection.
 */
export class SqliteMigrationLock implements MigrationLock {
  private readonly logger = new Logger('Migrations');

  constructor(private readonly databasePath: string) {}

  async acquire(timeoutMs: number): Promise<HeldLock> {
    const deadline = Date.now() + timeoutMs;
    let lost: Error | null = null;
    let reportAt = Date.now() + WAIT_REPORT_MS;
    for (;;) {
      try {
        const release = await lockfile.lock(this.databasePath, {
          lockfilePath: `${this.databasePath}.migrate-lock`,
          realpath: false,
          stale: SQLITE_LOCK_STALE_MS,
          update: 10_000,
          retries: 0,
          onCompromised: (error) => (lost = error),
        });
        return {
          assertHeld: async () => {
            if (lost)
              throw new DomainError(
                MigrationErrorCode.LockLost,
                ErrorKind.Unavailable,
                `the migration lock was lost (${messageOf(lost)}); stopped before the next migration`,
              );
          },
          release: () => release().catch(() => undefined),
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
        if (Date.now() >= deadline)
          throw lockTimeout(this.databasePath, timeoutMs, `lock ${this.databasePath}.migrate-lock`);
        if (Date.now() >= reportAt) {
          this.logger.warn({ msg: 'waiting for the migration lock', lock: `${this.databasePath}.migrate-lock` });
          reportAt = Date.now() + WAIT_REPORT_MS;
        }
        await sleep(Math.min(SQLITE_RETRY_MS, Math.max(0, deadline - Date.now())));
      }
    }
  }
}
