import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { tinyintBoolean } from '../../database/columns/column-transformers';

/** `logic_log`: the execution log of one run; keyed by (id, version). */
@Entity({ name: 'logic_log' })
@Index('idx_logic_log_logicId_bizId', ['logicId', 'bizId'])
export class LogicLogEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @PrimaryColumn({ type: 'varchar', length: 50 })
  version: string;

  @Column({ type: 'varchar', length: 36, nullable: true })
  logicId: string | null;

  @Column({ type: 'varchar', length: 36, nullable: true })
  bizId: string | null;

  @Column({ type: 'varchar', length: 36, nullable: true })
  nextId: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  clientId: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  host: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  nextName: string | null;

  @Column({ type: 'varchar', length: 10, nullable: true })
  env: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  message: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  messageId: string | null;

  @Column({ type: 'text', nullable: true })
  paramsJson: string | null;

  @Column({ type: 'text', nullable: true })
  varsJson: string | null;

  @Column({ type: 'text', nullable: true })
  varsJsonEnd: string | null;

  @Column({ type: 'text', nullable: true })
  returnData: string | null;

  @Column({ type: 'text', nullable: true })
  itemLogs: string | null;

  @Column({ type: 'tinyint', nullable: true, transformer: tinyintBoolean })
  success: boolean | null;

  @Column({ type: 'tinyint', nullable: true, default: 0, transformer: tinyintBoolean })
  isOver: boolean | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  serverTime: Date | null;
}
