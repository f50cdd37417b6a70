import { Column } from 'typeorm';

/**
 * The config columns `logic` (latest) and `logic_bak` (every version) share. Column types
 * are the subset both engines accept; the exact DDL (longtext, ON UPDATE) is in the migrations.
 */
export abstract class LogicConfigColumns {
  @Column({ type: 'varchar', length: 50, nullable: true })
  name: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  version: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  module: string | null;

  @Column({ type: 'text', nullable: true })
  configJson: string | null;

  /** Set by the database on insert and on every update. */
  @Column({ type: 'datetime', nullable: true, insert: false, update: false })
  updateTime: Date | null;
}
