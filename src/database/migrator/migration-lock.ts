import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import * as lockfile from 'proper-lockfile';
import type { DataSource, QueryRunner } from 'typeorm';
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

export function migrationLockFor(dataSource: DataSource): MigrationLock {
  const options = dataSource.options as { type: string; database?: string };
  if (options.type === 'better-sqlite3') return new SqliteMigrationLock(String(options.database));
  return new MysqlMigrationLock(dataSource, String(options.database));
}

function lockTimeout(description: string, timeoutMs: number, holder: string): DomainError {
  return new DomainError(
    MigrationErrorCode.LockTimeout,
    ErrorKind.Unavailable,
    `another process has held the migration lock of ${description} for more than ${timeoutMs} ms (${holder}); ` +
      'it is probably applying migrations: wait for it, or stop it, then try again (MIGRATION_LOCK_TIMEOUT_MS sets the wait)',
  );
}

/**
 * MariaDB/MySQL: `GET_LOCK` on a connection kept for the lock alone. The server releases
 * it when that session ends, so a killed process never leaves it behind. Lock names are
 * server-wide, hence the database name in it (hashed when too long for the 64-character limit).
 */
export class MysqlMigrationLock implements MigrationLock {
  private readonly logger = new Logger('Migrations');
  private readonly name: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly database: string,
  ) {
    const name = `logic_ha.migrate.${database}`;
    this.name = name.length <= 64 ? name : `logic_ha.migrate.${createHash('sha256').update(database).digest('hex').slice(0, 40)}`;
  }

  async acquire(timeoutMs: number): Promise<HeldLock> {
    const runner = this.dataSource.createQueryRunner('master');
    await runner.connect();
    try {
      await this.waitFor(runner, timeoutMs);
    } catch (error) {
      await runner.release();
      throw error;
    }
    return {
      assertHeld: async () => {
        const [row] = await runner.query('SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS held', [this.name]).catch(() => [{ held: 0 }]);
        if (Number(row?.held) !== 1) throw new DomainError(MigrationErrorCode.LockLost, ErrorKind.Unavailable, 'the migration lock was lost (its connection dropped); stopped before the next migration');
      },
      release: async () => {
        await runner.query('SELECT RELEASE_LOCK(?)', [this.name]).catch(() => undefined);
        await runner.release();
      },
    };
  }

  private async waitFor(runner: QueryRunner, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const waitSeconds = Math.max(0, Math.min(deadline - Date.now(), WAIT_REPORT_MS)) / 1000;
      const [row] = await runner.query('SELECT GET_LOCK(?, ?) AS acquired', [this.name, waitSeconds]);
      if (Number(row.acquired) === 1) return;
      if (row.acquired === null) throw new Error(`GET_LOCK(${this.name}) failed`);
      const holder = await this.describeHolder(runner);
      if (Date.now() >= deadline) throw lockTimeout(`database ${this.database}`, timeoutMs, holder);
      this.logger.warn({ msg: 'waiting for the migration lock', lock: this.name, holder });
    }
  }

  private async describeHolder(runner: QueryRunner): Promise<string> {
    const [used] = await runner.query('SELECT IS_USED_LOCK(?) AS id', [this.name]);
    if (used?.id === null || used?.id === undefined) return 'holder unknown';
    // Seeing another account's session needs PROCESS; without it only the id is known.
    const [session] = await runner.query('SELECT HOST AS host, TIME AS seconds FROM information_schema.PROCESSLIST WHERE ID = ?', [used.id]).catch(() => []);
    return session ? `connection ${used.id} from ${session.host}, ${session.seconds} s` : `connection ${used.id}`;
  }
}

/** A lock not refreshed for this long belongs to a dead process. */
const SQLITE_LOCK_STALE_MS = 10_000;
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
          update: SQLITE_LOCK_STALE_MS / 2,
          retries: 0,
          onCompromised: (error) => (lost = error),
        });
        return {
          assertHeld: async () => {
            if (lost) throw new DomainError(MigrationErrorCode.LockLost, ErrorKind.Unavailable, `the migration lock was lost (${messageOf(lost)}); stopped before the next migration`);
          },
          release: () => release().catch(() => undefined),
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
        if (Date.now() >= deadline) throw lockTimeout(this.databasePath, timeoutMs, `lock ${this.databasePath}.migrate-lock`);
        if (Date.now() >= reportAt) {
          this.logger.warn({ msg: 'waiting for the migration lock', lock: `${this.databasePath}.migrate-lock` });
          reportAt = Date.now() + WAIT_REPORT_MS;
        }
        await sleep(Math.min(SQLITE_RETRY_MS, Math.max(0, deadline - Date.now())));
      }
    }
  }
}
