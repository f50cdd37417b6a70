import { Injectable } from '@nestjs/common';
import { DataSourceSwitch } from '../database/data-source-switch';
import { DatabaseTopology } from '../database/topology/database-topology';

/**
 * The app's pool as a primary change sees it: closed while the primary moves, and reopened
 * on whichever server the topology names at that moment (the new primary after a change,
 * the old one after a roll-back), so no caller picks the endpoint itself.
 */
@Injectable()
export class AppPool {
  constructor(
    private readonly dataSource: DataSourceSwitch,
    private readonly topology: DatabaseTopology,
  ) {}

  /** Closed, or being moved: the app answers 503 meanwhile. */
  get switching(): boolean {
    return this.dataSource.inProgress;
  }

  /** Resolves once the pool is open (a service that started without its database waits here). */
  whenOpen(): Promise<void> {
    return this.dataSource.whenOpen();
  }

  /** A schema refusal at the deferred start-up migration: reopening cannot help. */
  get schemaRefusal(): Error | null {
    return this.dataSource.schemaRefusal;
  }

  /** The monitor reopens a closed pool from now on (see StartupReconnection). */
  reopenedByMonitor(): void {
    this.dataSource.handReopeningTo('failover monitor');
  }

  close(options: { abandon?: boolean } = {}): Promise<void> {
    return this.dataSource.close(options);
  }

  reopenOnPrimary(): Promise<void> {
    return this.dataSource.open(() => this.topology.primaryEndpoint());
  }
}
