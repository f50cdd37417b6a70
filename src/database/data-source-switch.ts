import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { messageOf } from '../common/errors/error-message';
import type { MysqlEndpoint } from '../config/mysql-url';
import { owedStartupMigration, startupMigrationDone } from './deferred-start';
import { openAndMigrate } from './migrator/startup-migration';

/** A pool that does not close in this time belongs to a dead server: leave it behind. */
const CLOSE_TIMEOUT_MS = 2000;
const REOPEN_ATTEMPTS = 5;
const REOPEN_DELAY_MS = 200;

/** mysql2's pool keeps its connections in a queue; ending it politely waits on a hung server. */
interface PoolInternals {
  _allConnections?: { toArray?: () => PooledConnection[] };
}

interface PooledConnection {
  stream?: { destroy(error?: Error): void };
  destroy(): void;
}

/**
 * A hung primary never answers COM_QUIT: its connections are cut. Their sockets are
 * destroyed with an error, which mysql2 hands to the query each one is waiting on, so
 * requests fail now (503) instead of hanging until the server wakes up. (A plain
 * connection.destroy() would leave those queries pending for ever.)
 */
function destroySockets(pool: PoolInternals | undefined): void {
  for (const connection of pool?._allConnections?.toArray?.() ?? []) {
    const abandoned = Object.assign(new Error('connection abandoned: the database primary is being changed'), {
      code: 'PROTOCOL_CONNECTION_LOST',
    });
    if (connection.stream) connection.stream.destroy(abandoned);
    else connection.destroy();
  }
}

/**
 * Moves the app's one TypeORM data source to another server without a restart: the pool
 * is closed (so nothing more can reach the old primary), the connection options are
 * replaced and the pool is opened again. Repositories keep working because they hold the
 * same DataSource object. While closed, queries fail with "not connected", which the
 * error filter answers with 503 + Retry-After.
 *
 * A service that started without its database (deferred-start.ts) begins closed, and its
 * first open runs the start-up migration (lock, checks, pending migrations) on the server
 * it opens; a refusal there is kept, and every later open fails with it at once.
 */
@Injectable()
export class DataSourceSwitch {
  private readonly logger = new Logger('DataSourceSwitch');
  private switching: boolean;
  /** close() calls queued and not done yet. */
  private closesQueued = 0;
  /** close() and open() run one after the other, in call order: a late reopen never undoes a close. */
  private queue: Promise<unknown> = Promise.resolve();
  private waiters: (() => void)[] = [];
  private refusal: Error | null = null;
  private reopener: string | null = null;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.switching = !dataSource.isInitialized;
  }

  /** Closed, or being moved: the app answers 503 meanwhile. */
  get inProgress(): boolean {
    return this.switching;
  }

  get isOpen(): boolean {
    return this.dataSource.isInitialized;
  }

  /** Why the deferred start-up migration refused this database; no open is tried again. */
  get schemaRefusal(): Error | null {
    return this.refusal;
  }

  /** Resolves once the pool is open: at once, or when an open() succeeds. */
  whenOpen(): Promise<void> {
    if (this.dataSource.isInitialized) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Who reopens a closed pool (the failover monitor, which knows when a failover runs);
   * null: StartupReconnection retries it. Must be said before that one's first round.
   */
  get reopenedBy(): string | null {
    return this.reopener;
  }

  handReopeningTo(owner: string): void {
    this.reopener = owner;
  }

  /**
   * Closes the pool to the current server. `abandon`: do not wait for a polite end (a
   * failover's primary is dead or hung; waiting only delays the switch): the sockets are
   * cut at once and queries in flight fail.
   */
  close(options: { abandon?: boolean } = {}): Promise<void> {
    // Flagged at once, not when its turn comes: readiness and the monitor see the switch start.
    this.switching = true;
    this.closesQueued++;
    return this.serialised(() => (options.abandon ? this.abandonNow() : this.closeNow())).finally(
      () => void this.closesQueued--,
    );
  }

  /**
   * Opens the pool against `endpoint`; tried `attempts` times (default 5) a moment apart,
   * since a just-promoted server is up.
   */
  open(endpoint: MysqlEndpoint | (() => MysqlEndpoint), options: { attempts?: number } = {}): Promise<void> {
    // A function is resolved when the open's turn comes: a failover queued before it may have moved the primary.
    return this.serialised(() =>
      this.openNow(typeof endpoint === 'function' ? endpoint() : endpoint, options.attempts ?? REOPEN_ATTEMPTS),
    );
  }

  private serialised(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Ends the pool; whatever happens it is not used again. TypeORM flags itself
   * uninitialised only when the driver's pool ended cleanly: a pool whose connections died
   * with the server rejects end() ("connect ECONNREFUSED", "connection is in closed
   * state"), and a hung server never answers. Either way the pool is abandoned (its
   * sockets destroyed) and the flag reset, so the next open() can initialise again.
   */
  private async closeNow(): Promise<void> {
    this.switching = true;
    if (!this.dataSource.isInitialized) return;
    const pool = (this.dataSource.driver as unknown as { pool?: PoolInternals }).pool;
    const ended = this.dataSource.destroy().then(
      () => 'ended' as const,
      (error: unknown) => {
        this.logger.warn({ msg: 'the old pool did not end cleanly; abandoning it', err: String(error) });
        return 'failed' as const;
      },
    );
    const timedOut = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS).unref(),
    );
    const outcome = await Promise.race([ended, timedOut]);
    if (outcome === 'timeout')
      this.logger.warn({
        msg: `the old pool did not close within ${CLOSE_TIMEOUT_MS} ms (a hung server); destroying its sockets`,
      });
    if (outcome !== 'ended' || this.dataSource.isInitialized) {
      destroySockets(pool);
      Object.assign(this.dataSource, { isInitialized: false });
    }
  }

  private async abandonNow(): Promise<void> {
    this.switching = true;
    if (!this.dataSource.isInitialized) return;
    const pool = (this.dataSource.driver as unknown as { pool?: PoolInternals & { end?(callback: () => void): void } })
      .pool;
    destroySockets(pool);
    pool?.end?.(() => undefined);
    Object.assign(this.dataSource, { isInitialized: false });
  }

  private async openNow(endpoint: MysqlEndpoint, attempts: number): Promise<void> {
    if (this.refusal) throw this.refusal;
    if (this.dataSource.isInitialized) await this.closeNow();
    const target = { host: endpoint.host, port: endpoint.port, username: endpoint.user, password: endpoint.password };
    // The MySQL driver copies the options when it is created; both copies must point at the new server.
    Object.assign(this.dataSource.options, target);
    Object.assign((this.dataSource.driver as unknown as { options: object }).options, target);
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await this.initialize();
        // A close() queued behind this open keeps the pool flagged as switching until it runs.
        this.switching = this.closesQueued > 0;
        for (const resolve of this.waiters.splice(0)) resolve();
        return;
      } catch (error) {
        lastError = error;
        if (isRefusal(error)) {
          this.refusal = error;
          this.logger.error({
            msg: 'the database was refused at its first connection: the pool stays closed; fix the schema (see the error), then restart',
            target: `${endpoint.host}:${endpoint.port}`,
            err: messageOf(error),
          });
          throw error;
        }
        this.logger.warn({
          msg: 'opening the pool failed',
          attempt,
          target: `${endpoint.host}:${endpoint.port}`,
          err: String(error),
        });
        // TypeORM marks itself initialised before it runs migrations: a failure there leaves
        // an open pool that the next initialize() would refuse ("already connected").
        if (this.dataSource.isInitialized) await this.closeNow();
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, REOPEN_DELAY_MS));
      }
    }
    throw lastError;
  }

  /**
   * A plain initialize, after the start-up migration when the service still owes it. That
   * one runs on a data source of its own: the app's pool opens only on a migrated schema
   * (opened first, requests would meet missing tables: 500s, not 503s).
   */
  private async initialize(): Promise<void> {
    const migrations = owedStartupMigration(this.dataSource);
    if (migrations) {
      const migrating = await openAndMigrate(new DataSource({ ...this.dataSource.options }), migrations);
      await migrating.destroy().catch(() => undefined);
      startupMigrationDone(this.dataSource);
      this.logger.log({ msg: 'connected and migrated: the start-up migration owed since the start is done' });
    }
    await this.dataSource.initialize();
  }
}

/** What would have stopped the start: anything the migrator decided, except waiting for its lock. */
function isRefusal(error: unknown): error is DomainError {
  return error instanceof DomainError && error.kind !== ErrorKind.Unavailable;
}
