import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, tinyintBoolean } from '../../database/columns/column-transformers';

/** `logic_instance`: one business instance of a logic; no unique key on (logicId, bizId). */
@Entity({ name: 'logic_instance' })
@Index('idx_logicId_bizId', ['logicId', 'bizId'])
export class LogicInstanceEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 36, nullable: true })
  logicId: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  version: string | null;

  @Column({ type: 'varchar', length: 36, nullable: true })
  bizId: string | null;

  @Column({ type: 'varchar', length: 36, nullable: true })
  parentLogicId: string | null;

  @Column({ type: 'varchar', length: 36, nullable: true })
  parentBizId: string | null;

  @Column({ type: 'varchar', length: 10, nullable: true })
  env: string | null;

  @Column({ type: 'varchar', length: 36, nullable: true })
  nextId: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  nextName: string | null;

  @Column({ type: 'text', nullable: true })
  paramsJson: string | null;

  @Column({ type: 'text', nullable: true })
  varsJson: string | null;

  @Column({ type: 'text', nullable: true })
  envsJson: string | null;

  @Column({ type: 'text', nullable: true })
  varsJsonEnd: string | null;

  @Column({ type: 'text', nullable: true })
  returnData: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  message: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  messageId: string | null;

  @Column({ type: 'tinyint', nullable: true, transformer: tinyintBoolean })
  success: boolean | null;

  @Column({ type: 'tinyint', nullable: true, default: 0, transformer: tinyintBoolean })
  isOver: boolean | null;

  @Column({ type: 'tinyint', nullable: true, default: 0, transformer: tinyintBoolean })
  isRunning: boolean | null;

  /**
   * 0.7.4. The entity repeats the DDL default because TypeORM sends NULL for an omitted
   * value on SQLite instead of leaving the column to its default.
   */
  @Column({ type: 'datetime', nullable: true, default: () => 'CURRENT_TIMESTAMP' })
  createTime: Date | null;

  /** Defaults to now since ha-4, as logic-solution's scripts declare it (repeated here for SQLite, as createTime). */
  @Column({ type: 'datetime', nullable: true, default: () => 'CURRENT_TIMESTAMP' })
  serverTime: Date | null;

  /** Set explicitly on start: the DDL default (now(3)) has no spelling common to both engines. */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  startTime: Date | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  stopTime: Date | null;

  /** Milliseconds. */
  @Column({ type: 'bigint', nullable: true, transformer: bigintNumber })
  duration: number | null;

  @Column({ type: 'int', nullable: true, default: 0 })
  retryTimes: number | null;

  @Column({ type: 'tinyint', nullable: true, default: 0, transformer: tinyintBoolean })
  isAsync: boolean | null;
}
