import { Column, Entity, PrimaryColumn } from 'typeorm';

/** `logic_bak`: every published version of every logic, keyed by its own `aid`. */
@Entity({ name: 'logic_bak' })
export class LogicBakEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  aid: string;

  @Column({ type: 'varchar', length: 36, nullable: true })
  id: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  name: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  version: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  module: string | null;

  @Column({ type: 'text', nullable: true })
  configJson: string | null;

  @Column({ type: 'datetime', nullable: true, insert: false, update: false })
  updateTime: Date | null;
}
