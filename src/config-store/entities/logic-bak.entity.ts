import { Column, Entity, PrimaryColumn } from 'typeorm';
import { LogicConfigColumns } from './logic-config-columns';

/** `logic_bak`: every published version of every logic, keyed by its own `aid`. */
@Entity({ name: 'logic_bak' })
export class LogicBakEntity extends LogicConfigColumns {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  aid: string;

  /** The logic's id. */
  @Column({ type: 'varchar', length: 36, nullable: true })
  id: string | null;
}
