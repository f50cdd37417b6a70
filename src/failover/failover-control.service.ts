import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { DatabaseTopology } from '../database/topology/database-topology';
import { FailoverControl } from '../database/topology/topology-state';
import { AutomaticFailover } from './automatic-failover';
import { FailoverErrorCode } from './failover.errors';
import { PreFailoverGate } from './hooks';

/** The operator's switches: acknowledge (ends a cooldown, re-enables after a failure) and maintenance. */
@Injectable()
export class FailoverControlService {
  private readonly logger = new Logger('FailoverControl');

  constructor(
    private readonly topology: DatabaseTopology,
    private readonly automatic: AutomaticFailover,
    private readonly preHook: PreFailoverGate,
  ) {}

  async acknowledge(note?: string): Promise<FailoverControl> {
    this.requireReplicated();
    const state = await this.automatic.enable({ acknowledged: true });
    // A veto by FAILOVER_PRE_HOOK is asked again at the next confirmed death, not after the cooldown.
    this.preHook.reset();
    this.logger.warn({ msg: 'failover acknowledged: automatic failover allowed again', note });
    return state;
  }

  async setMaintenance(enabled: boolean, reason?: string): Promise<FailoverControl> {
    const state = await this.update((control) => ({
      ...control,
      maintenance: enabled,
      maintenanceReason: enabled ? (reason ?? null) : null,
    }));
    this.logger.warn({ msg: enabled ? 'maintenance mode on: no automatic failover' : 'maintenance mode off', reason });
    return state;
  }

  private async update(change: (control: FailoverControl) => FailoverControl): Promise<FailoverControl> {
    this.requireReplicated();
    const state = await this.topology.update((current) => ({ ...current, control: change(current.control) }));
    return state.control;
  }

  private requireReplicated(): void {
    if (!this.topology.replicated) {
      throw new DomainError(
        FailoverErrorCode.NotReplicated,
        ErrorKind.Conflict,
        'no failover on this node: DB_TYPE is not mysql',
      );
    }
  }
}
