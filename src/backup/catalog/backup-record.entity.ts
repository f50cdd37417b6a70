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

  // The ha-6 columns are optional in the type only (rows always carry them): fakes built
  // before them stay valid.
  /** When this backup's chain was last test-restored (ha-6), whatever the outcome. */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  restoreCheckedAt?: Date | null;

  /** When a test restore last matched every table's fingerprint. */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  restoreVerifiedAt?: Date | null;

  /** Why the newest test restore failed; null when it passed or never ran. */
  @Column({ type: 'text', nullable: true })
  restoreCheckError?: string | null;

  /** The newest test restore's per-table comparison, JSON (longtext in the migration). */
  @Column({ type: 'text', nullable: true })
  restoreCheckDetail?: string | null;
}
