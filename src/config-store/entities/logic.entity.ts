import { Entity, PrimaryColumn } from 'typeorm';
import { LogicConfigColumns } from './logic-config-columns';

/** `logic`: the latest config of each logic. */
@Entity({ name: 'logic' })
export class LogicEntity extends LogicConfigColumns {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;
}
