import { Column } from 'typeorm';

/**
 * The config columns `logic`, `logic_bak` and `logic_published` share. Column types are
 * the subset both engines accept; the exact DDL (longtext, ON UPDATE) is in the migrations.
 */
export abstract class LogicConfigFields {
  @Column({ type: 'varchar', length: 50, nullable: true })
  name: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  version: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  module: string | null;

  @Column({ type: 'text', nullable: true })
  configJson: string | null;
}

/** `logic` (latest) and `logic_bak` (every version) also carry the database-maintained updateTime. */
export abstract class LogicConfigColumns extends LogicConfigFields {
  /** Set by the database on insert and on every update. */
  @Column({ type: 'datetime', nullable: true, insert: false, update: false })
  updateTime: Date | null;
}
