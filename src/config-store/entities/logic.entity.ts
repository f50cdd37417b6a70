import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * `logic`: the latest config of each logic. Column types here are the subset both
 * engines accept; the exact DDL (longtext, ON UPDATE) lives in the migrations.
 */
@Entity({ name: 'logic' })
export class LogicEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

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
