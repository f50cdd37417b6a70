import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { LogicConfigFields } from './logic-config-columns';

/** `logic_published`: the publish history, one row per publish. */
@Entity({ name: 'logic_published' })
export class LogicPublishedEntity extends LogicConfigFields {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  /** mysql2 returns bigint as a string. */
  id: string;

  @Column({ type: 'varchar', length: 36, nullable: true })
  logicId: string | null;

  @Column({ type: 'datetime', nullable: true })
  publishTime: Date | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  source: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  target: string | null;
}
