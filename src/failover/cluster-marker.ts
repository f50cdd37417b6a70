import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Leadership } from '../cluster';
import { messageOf } from '../common/errors/error-message';
import { DatabaseTopology } from '../database/topology/database-topology';
import { TopologyChange } from './topology-change';

/**
 * Cluster mode: each time a node starts leading, it records the current epoch on the
 * primary as managed by the cluster (logic_ha_epoch), unless the primary already records
 * that epoch or a newer one. A single node started later beside the cluster then finds the
 * database marked and refuses to fail over or fence on its own, even before the cluster's
 * first failover. Best effort: a primary that is down or lacks the table is marked by the
 * next failover's record-epoch step instead.
 */
@Injectable()
export class ClusterMarker implements OnApplicationBootstrap {
  private readonly logger = new Logger('Cluster');

  constructor(
    private readonly leadership: Leadership,
    private readonly topology: DatabaseTopology,
    private readonly change: TopologyChange,
  ) {}

  onApplicationBootstrap(): void {
    if (this.leadership.mode !== 'etcd' || !this.topology.replicated) return;
    this.leadership.onLeadingChange((leading) => {
      if (leading) void this.mark();
    });
    // The election may have been won before this hook ran.
    if (this.leadership.isLeader()) void this.mark();
  }

  /** Public so tests can drive it. */
  async mark(): Promise<void> {
    const { primary, epoch } = this.topology.state;
    try {
      this.logger.log({ msg: await this.change.recordEpoch(primary, epoch) });
    } catch (error) {
      this.logger.debug({ msg: 'the primary was not marked as managed by the cluster', err: messageOf(error) });
    }
  }
}
