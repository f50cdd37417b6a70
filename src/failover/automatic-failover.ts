import { Injectable, Logger } from '@nestjs/common';
import { messageOf } from '../common/errors/error-message';
import { DatabaseTopology } from '../database/topology/database-topology';
import { FailoverControl } from '../database/topology/topology-state';

/**
 * The one owner of "automatic failover is disabled until an operator acknowledges", set by
 * a failover or switchover that failed part-way. Memory always takes the change, so this
 * process stays disabled even when the topology file cannot be written (a full disk); the
 * file takes it when it can, so a restart stays disabled too.
 */
@Injectable()
export class AutomaticFailover {
  private readonly logger = new Logger('Failover');
  /** The newest reason set in this process, persisted or not; the file's reason counts too. */
  private unacknowledged: string | null = null;

  constructor(private readonly topology: DatabaseTopology) {
    // Cluster mode: an acknowledgement stored by another leader clears this node's memory too.
    topology.onChange((next) => {
      if (next.control.disabledReason === null) this.unacknowledged = null;
    });
  }

  /** Why automatic failover is disabled, or null when it is allowed. */
  get disabledReason(): string | null {
    return this.unacknowledged ?? (this.topology.replicated ? this.topology.state.control.disabledReason : null);
  }

  /** Never throws: a file that cannot be written is logged, and memory keeps the reason. */
  async disable(reason: string): Promise<void> {
    this.unacknowledged = reason;
    await this.topology
      .update((state) => ({ ...state, control: { ...state.control, disabledReason: reason } }))
      .catch((error: unknown) =>
        this.logger.error({
          msg: 'could not persist that automatic failover is disabled; kept in memory',
          reason,
          err: messageOf(error),
        }),
      );
  }

  /**
   * Allows automatic failover again, with `also` in the same write (an acknowledgement ends
   * the cooldown too). Memory is cleared only once the file is: a failed write leaves it disabled.
   */
  async enable(also: Partial<FailoverControl> = {}): Promise<FailoverControl> {
    const state = await this.topology.update((current) => ({
      ...current,
      control: { ...current.control, ...also, disabledReason: null },
    }));
    this.unacknowledged = null;
    return state.control;
  }
}
