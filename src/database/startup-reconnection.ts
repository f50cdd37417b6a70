import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { messageOf } from '../common/errors/error-message';
import { DataSourceSwitch } from './data-source-switch';
import { DatabaseTopology } from './topology/database-topology';

/** How often a service that started without its database tries the primary again. */
export const RECONNECT_INTERVAL_MS = 2000;

/**
 * A service that started without its database (deferred-start.ts) must connect once the
 * primary is back, also when no failover monitor runs (no DB_ADMIN_USER). The monitor,
 * when it runs, reopens the pool itself (it knows when a failover is running, and then the
 * pool must stay closed) and says so through DataSourceSwitch.handReopeningTo; this loop
 * then stands down. One attempt per round on the topology's primary, and the first open
 * runs the owed migration.
 */
@Injectable()
export class StartupReconnection implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private current: Promise<void> = Promise.resolve();
  private failures = 0;

  constructor(
    private readonly pool: DataSourceSwitch,
    private readonly topology: DatabaseTopology,
  ) {}

  onApplicationBootstrap(): void {
    if (this.pool.isOpen || !this.topology.replicated) return;
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  /** One round; public so tests drive it without waiting for the timer. Answers whether to go on. */
  async round(): Promise<boolean> {
    if (this.stopped || this.pool.isOpen || this.pool.reopenedBy || this.pool.schemaRefusal) return false;
    const primary = this.topology.primaryKey;
    try {
      await this.pool.open(this.topology.primaryEndpoint(), { attempts: 1 });
      this.logger.log({ msg: 'connected to the database primary', primary, afterFailedRounds: this.failures });
      return false;
    } catch (error) {
      this.failures++;
      // Once at warn, then quietly: the start already said the database is missing.
      const log = this.failures === 1 ? 'warn' : 'debug';
      this.logger[log]({
        msg: `database primary still unreachable; trying again every ${RECONNECT_INTERVAL_MS} ms`,
        primary,
        err: messageOf(error),
      });
      return !this.pool.schemaRefusal;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.current = this.round().then((again) => {
        if (again) this.schedule();
      });
    }, RECONNECT_INTERVAL_MS);
  }
}
