import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { MysqlEndpoint } from '../config/mysql-url';

/** A pool that does not close in this time belongs to a dead server: leave it behind. */
const CLOSE_TIMEOUT_MS = 2000;
const REOPEN_ATTEMPTS = 5;
const REOPEN_DELAY_MS = 200;

/** mysql2's pool keeps its connections in a queue; ending it politely waits on a hung server. */
interface PoolInternals {
  _allConnections?: { toArray?: () => { destroy(): void }[] };
}

/**
 * A hung primary never answers COM_QUIT: its connections are cut, so requests waiting on
 * them fail now (503) instead of hanging until the server wakes up.
 */
function destroySockets(pool: PoolInternals | undefined): void {
  for (const connection of pool?._allConnections?.toArray?.() ?? []) connection.destroy();
}

/**
 * Moves the app's one TypeORM data source to another server without a restart: the pool
 * is closed (so nothing more can reach the old primary), the connection options are
 * replaced and the pool is opened again. Repositories keep working because they hold the
 * same DataSource object. While closed, queries fail with "not connected", which the
 * error filter answers with 503 + Retry-After.
 */
@Injectable()
export class DataSourceSwitch {
  private readonly logger = new Logger('DataSourceSwitch');
  private switching = false;
  /** close() and open() run one after the other, in call order: a late reopen never undoes a close. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  get inProgress(): boolean {
    return this.switching;
  }

  /** Closes the pool to the current server; the first step of every failover. */
  close(): Promise<void> {
    // Flagged at once, not when its turn comes: readiness and the monitor see the switch start.
    this.switching = true;
    return this.serialised(() => this.closeNow());
  }

  /** Opens the pool against `endpoint`; retried briefly, since a just-promoted server is up. */
  open(endpoint: MysqlEndpoint): Promise<void> {
    return this.serialised(() => this.openNow(endpoint));
  }

  private serialised(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async closeNow(): Promise<void> {
    this.switching = true;
    if (!this.dataSource.isInitialized) return;
    const closed = this.dataSource.destroy().then(
      () => true,
      (error: unknown) => {
        this.logger.warn({ msg: 'closing the old pool failed; continuing', err: String(error) });
        return true;
      },
    );
    const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS).unref());
    const pool = (this.dataSource.driver as unknown as { pool?: PoolInternals }).pool;
    if (!(await Promise.race([closed, timedOut]))) {
      this.logger.warn({ msg: `the old pool did not close within ${CLOSE_TIMEOUT_MS} ms (a hung server); destroying its sockets` });
      destroySockets(pool);
      // TypeORM only flags itself uninitialised after the driver disconnected.
      Object.assign(this.dataSource, { isInitialized: false });
    }
  }

  /** A pool whose own clean-up failed is abandoned, so the next initialize() starts afresh. */
  private async forgetPool(): Promise<void> {
    await this.dataSource.destroy().catch((error: unknown) => this.logger.warn({ msg: 'closing a half-open pool failed; abandoning it', err: String(error) }));
    if (this.dataSource.isInitialized) {
      destroySockets((this.dataSource.driver as unknown as { pool?: PoolInternals }).pool);
      Object.assign(this.dataSource, { isInitialized: false });
    }
  }

  private async openNow(endpoint: MysqlEndpoint): Promise<void> {
    if (this.dataSource.isInitialized) await this.closeNow();
    const target = { host: endpoint.host, port: endpoint.port, username: endpoint.user, password: endpoint.password };
    // The MySQL driver copies the options when it is created; both copies must point at the new server.
    Object.assign(this.dataSource.options, target);
    Object.assign((this.dataSource.driver as unknown as { options: object }).options, target);
    let lastError: unknown;
    for (let attempt = 1; attempt <= REOPEN_ATTEMPTS; attempt++) {
      try {
        await this.dataSource.initialize();
        this.switching = false;
        return;
      } catch (error) {
        lastError = error;
        this.logger.warn({ msg: 'opening the pool failed', attempt, target: `${endpoint.host}:${endpoint.port}`, err: String(error) });
        // TypeORM marks itself initialised before it runs migrations: a failure there leaves
        // an open pool that the next initialize() would refuse ("already connected").
        if (this.dataSource.isInitialized) await this.forgetPool();
        await new Promise((resolve) => setTimeout(resolve, REOPEN_DELAY_MS));
      }
    }
    throw lastError;
  }
}
