import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** `logic_published`: the publish history, one row per publish. */
@Entity({ name: 'logic_published' })
export class LogicPublishedEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  /** mysql2 returns bigint as a string. */
  id: string;

  @Column({ type: 'varchar', length: 36, nullable: true })
  logicId: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  name: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  version: string | null;

  @Column({ type: 'varchar', length: 50, nullable: true })
  module: string | null;

  @Column({ type: 'text', nullable: true })
  configJson: string | null;

  @Column({ type: 'datetime', nullable: true })
  publishTime: Date | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  source: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  target: string | null;
}
