import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../../database/columns/column-transformers';
import type { BackupState, BackupTrigger, BackupType, EngineName } from '../backup.types';

/** `logic_ha_backup`: the catalog row of one backup; `manifest` mirrors storage once it succeeded. */
@Entity({ name: 'logic_ha_backup' })
@Index('idx_backup_state_startedAt', ['state', 'startedAt'])
export class BackupRecordEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  type: BackupType;

  @Column({ type: 'varchar', length: 16 })
  state: BackupState;

  @Column({ type: 'varchar', length: 32, nullable: true })
  parentId: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  tag: string | null;

  @Column({ type: 'varchar', length: 16 })
  engine: EngineName;

  @Column({ type: 'varchar', length: 16 })
  triggeredBy: BackupTrigger;

  @Column({ type: 'datetime', precision: 3 })
  startedAt: Date;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  verifiedAt: Date | null;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  sizeBytes: number;

  @Column({ type: 'int', default: 0 })
  fileCount: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  // longtext in the migration; 'text' is the type both engines accept here.
  @Column({ type: 'text', nullable: true })
  manifest: string | null;
}
