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

  close(options: { abandon?: boolean } = {}): Promise<void> {
    return this.dataSource.close(options);
  }

  reopenOnPrimary(): Promise<void> {
    return this.dataSource.open(this.topology.primaryEndpoint());
  }
}
