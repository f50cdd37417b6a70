import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorKind } from '../common/errors/domain-error';

/** InnoDB's answers that mean "run the whole transaction again": deadlock, lock wait timeout. */
const RETRYABLE_ERRNOS = new Set([1213, 1205]);
const MAX_ATTEMPTS = 5;
/** How long a writer waits for another writer of the same key before giving up (503). */
const KEY_LOCK_WAIT_SECONDS = 10;

export enum DatabaseErrorCode {
  KeyBusy = 'KEY_BUSY',
}

export function isRetryableTransactionError(error: unknown): boolean {
  const driverError = (error as { driverError?: { errno?: number } }).driverError;
  return RETRYABLE_ERRNOS.has(driverError?.errno ?? (error as { errno?: number }).errno ?? -1);
}

/** MariaDB lock names are at most 64 characters: keys are hashed. */
function lockName(key: string): string {
  return `logic-ha:${createHash('sha1').update(key).digest('hex')}`;
}

/**
 * Runs work in a database transaction.
 * - MySQL: a transaction InnoDB picked as a deadlock victim (or that timed out waiting for
 *   a lock) is rolled back and run again, up to 5 times with jittered backoff.
 * - SQLite: TypeORM shares one connection, so transactions started concurrently in this
 *   process would interleave on it: they are queued instead (SQLite has one writer anyway).
 */
@Injectable()
export class TransactionRunner {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly retryPolicy = retry(handleWhen(isRetryableTransactionError), {
    maxAttempts: MAX_ATTEMPTS - 1,
    backoff: new ExponentialBackoff({ initialDelay: 5, maxDelay: 200 }),
  });

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  get isSqlite(): boolean {
    return this.dataSource.options.type === 'better-sqlite3';
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.isSqlite) return this.enqueue(work);
    return this.retryPolicy.execute(() => this.dataSource.transaction(work));
  }

  /**
   * Like run(), and no other runExclusive() with the same key runs at the same time, on
   * any node. On MySQL this is a named lock (GET_LOCK) held around the transaction: it
   * serialises writers of one key without the gap locks a `SELECT ... FOR UPDATE` on an
   * absent row takes, which deadlock writers of unrelated keys under load.
   */
  runExclusive<T>(key: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.isSqlite) return this.enqueue(work);
    return this.retryPolicy.execute(() => this.underNamedLock(lockName(key), work));
  }

  private enqueue<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const next = this.queue.then(() => this.dataSource.transaction(work));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async underNamedLock<T>(name: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    let locked = false;
    try {
      const [{ acquired }] = (await runner.query('SELECT GET_LOCK(?, ?) AS acquired', [
        name,
        KEY_LOCK_WAIT_SECONDS,
      ])) as { acquired: number | string | null }[];
      locked = Number(acquired) === 1;
      if (!locked) {
        throw new DomainError(
          DatabaseErrorCode.KeyBusy,
          ErrorKind.Unavailable,
          'Another write to the same record is still running',
          {
            retryAfterSeconds: 1,
          },
        );
      }
      await runner.startTransaction();
      try {
        const result = await work(runner.manager);
        await runner.commitTransaction();
        return result;
      } catch (error) {
        await runner.rollbackTransaction();
        throw error;
      }
    } finally {
      if (locked) await runner.query('SELECT RELEASE_LOCK(?)', [name]).catch(() => undefined);
      await runner.release();
    }
  }
}
