import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { messageOf } from '../common/errors/error-message';
import { DatabaseTopology } from '../database/topology/database-topology';
import { FailoverRecord, HISTORY_KEPT_IN_FILE } from '../database/topology/topology-state';
import { FailoverHistoryEntity } from './failover-history.entity';

/**
 * Records every failover and switchover twice: in the topology file (always possible,
 * the newest 50) and in `logic_ha_failover` on the primary (complete, queryable). A
 * record that cannot reach the table is written there at the next record.
 */
@Injectable()
export class FailoverHistoryService {
  private readonly logger = new Logger('FailoverHistory');

  constructor(
    private readonly topology: DatabaseTopology,
    @InjectRepository(FailoverHistoryEntity) private readonly table: Repository<FailoverHistoryEntity>,
  ) {}

  /** Never throws: bookkeeping must not turn a failover's outcome around; a record that cannot be kept is logged. */
  async record(record: FailoverRecord): Promise<void> {
    try {
      await this.topology.update((state) => ({
        ...state,
        history: [record, ...state.history].slice(0, HISTORY_KEPT_IN_FILE),
      }));
    } catch (error) {
      this.logger.error({
        msg: 'failover record not written to the topology file',
        failoverId: record.id,
        err: messageOf(error),
      });
      return;
    }
    await this.copyToTable();
  }

  async list(limit: number): Promise<FailoverRecord[]> {
    return this.topology.replicated ? this.topology.state.history.slice(0, limit) : [];
  }

  /** Upserts what the file has and the table may have missed (a record written while the database was away). */
  private async copyToTable(): Promise<void> {
    try {
      await this.table.save(this.topology.state.history.map(toEntity));
    } catch (error) {
      this.logger.warn({
        msg: 'failover history not written to the database; the topology file has it',
        err: messageOf(error),
      });
    }
  }
}

function toEntity({ veto: _veto, ...record }: FailoverRecord): FailoverHistoryEntity {
  // A veto's details stay in the topology file; the table has its outcome and error text.
  return Object.assign(new FailoverHistoryEntity(), {
    ...record,
    startedAt: new Date(record.startedAt),
    finishedAt: new Date(record.finishedAt),
    steps: JSON.stringify(record.steps),
  });
}
