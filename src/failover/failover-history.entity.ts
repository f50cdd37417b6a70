import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { FailoverKind, FailoverOutcome } from '../database/topology/topology-state';

/** `logic_ha_failover`: one failover or switchover; `steps` is the JSON list of timed steps. */
@Entity({ name: 'logic_ha_failover' })
@Index('idx_failover_startedAt', ['startedAt'])
export class FailoverHistoryEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  kind: FailoverKind;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'datetime', precision: 3 })
  startedAt: Date;

  @Column({ type: 'datetime', precision: 3 })
  finishedAt: Date;

  @Column({ type: 'varchar', length: 255 })
  oldPrimary: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  newPrimary: string | null;

  @Column({ type: 'int' })
  epoch: number;

  @Column({ type: 'varchar', length: 16 })
  outcome: FailoverOutcome;

  // longtext in the migration; 'text' is the type both engines accept here.
  @Column({ type: 'text' })
  steps: string;

  @Column({ type: 'text', nullable: true })
  error: string | null;
}
