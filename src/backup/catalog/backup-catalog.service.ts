import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, Not, Repository } from 'typeorm';
import type { BackupManifest, BackupState, BackupTrigger, BackupType, EngineName } from '../backup.types';
import { serialiseManifest } from '../manifest';
import { BackupRecordEntity } from './backup-record.entity';

export interface NewBackupRecord {
  id: string;
  type: BackupType;
  parentId: string | null;
  tag: string | null;
  engine: EngineName;
  triggeredBy: BackupTrigger;
  startedAt: Date;
}

export interface ListFilter {
  state?: BackupState;
  type?: BackupType;
  limit: number;
}

export interface RestoreCheckRecord {
  at: Date;
  /** null when every table matched. */
  error: string | null;
  /** The per-table comparison, JSON. */
  detail: string | null;
}

const SUMMARY_COLUMNS = [
  'id',
  'type',
  'parentId',
  'startedAt',
  'finishedAt',
  'verifiedAt',
  'sizeBytes',
  'restoreVerifiedAt',
  'restoreCheckError',
] as const satisfies (keyof BackupRecordEntity)[];

/** A catalog row as the metrics see it. */
export type BackupSummaryRow = Pick<BackupRecordEntity, (typeof SUMMARY_COLUMNS)[number]>;

/** The catalog table: a queryable mirror of the manifests in storage. */
@Injectable()
export class BackupCatalogService {
  constructor(@InjectRepository(BackupRecordEntity) private readonly records: Repository<BackupRecordEntity>) {}

  /** False on a database whose schema predates the catalog (ha-2), e.g. one adopted from logic-solution. */
  async tableExists(): Promise<boolean> {
    const runner = this.records.manager.connection.createQueryRunner();
    try {
      return await runner.hasTable(this.records.metadata.tableName);
    } finally {
      await runner.release();
    }
  }

  async insertRunning(record: NewBackupRecord): Promise<void> {
    await this.records.insert({ ...record, state: 'running', sizeBytes: 0, fileCount: 0 });
  }

  async markSucceeded(manifest: BackupManifest): Promise<void> {
    await this.records.update({ id: manifest.id }, successFields(manifest));
  }

  async markFailed(id: string, code: string, message: string, finishedAt: Date): Promise<void> {
    await this.records.update({ id }, { state: 'failed', errorCode: code, error: message.slice(0, 4000), finishedAt });
  }

  /** Rows still `running` although no backup runs: the process died during them. */
  async findRunning(): Promise<BackupRecordEntity[]> {
    return this.records.find({ where: { state: 'running' } });
  }

  /** After a rekey: the row's copy of the manifest carries the new wrap, not the old key's. */
  async replaceManifestCopy(manifest: BackupManifest): Promise<void> {
    await this.records.update({ id: manifest.id, manifest: Not(IsNull()) }, { manifest: serialiseManifest(manifest) });
  }

  async markVerified(id: string, at: Date): Promise<void> {
    await this.records.update({ id }, { verifiedAt: at });
  }

  async markExpired(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.records.update({ id: In(ids) }, { state: 'expired' });
  }

  find(id: string): Promise<BackupRecordEntity | null> {
    return this.records.findOne({ where: { id } });
  }

  list(filter: ListFilter): Promise<BackupRecordEntity[]> {
    return this.records.find({
      where: { ...(filter.state ? { state: filter.state } : {}), ...(filter.type ? { type: filter.type } : {}) },
      order: { startedAt: 'DESC', id: 'DESC' },
      take: filter.limit,
    });
  }

  /** The succeeded rows without their manifest copy (large): what the metrics read at every scrape. */
  succeededSummaries(): Promise<BackupSummaryRow[]> {
    return this.records.find({
      select: Object.fromEntries(SUMMARY_COLUMNS.map((column) => [column, true])),
      where: { state: 'succeeded' },
      order: { finishedAt: 'DESC', id: 'DESC' },
    });
  }

  /** Every row, oldest first: retention and chain walks need the whole picture. */
  all(): Promise<BackupRecordEntity[]> {
    return this.records.find({ order: { startedAt: 'ASC', id: 'ASC' } });
  }

  /** The newest attempt of any state: tells whether the last incremental was refused. */
  async newest(): Promise<BackupRecordEntity | null> {
    const [row] = await this.records.find({ order: { startedAt: 'DESC', id: 'DESC' }, take: 1 });
    return row ?? null;
  }

  async newestSucceeded(): Promise<BackupRecordEntity | null> {
    const [row] = await this.records.find({
      where: { state: 'succeeded' },
      order: { startedAt: 'DESC', id: 'DESC' },
      take: 1,
    });
    return row ?? null;
  }

  async newestVerified(): Promise<BackupRecordEntity | null> {
    const [row] = await this.records.find({
      where: { state: 'succeeded', verifiedAt: Not(IsNull()) },
      order: { startedAt: 'DESC', id: 'DESC' },
      take: 1,
    });
    return row ?? null;
  }

  /** The outcome of a test restore, on the backup whose fingerprints were compared. */
  async markRestoreChecked(id: string, check: RestoreCheckRecord): Promise<void> {
    await this.records.update(
      { id },
      {
        restoreCheckedAt: check.at,
        ...(check.error === null ? { restoreVerifiedAt: check.at } : {}),
        restoreCheckError: check.error === null ? null : check.error.slice(0, 4000),
        restoreCheckDetail: check.detail,
      },
    );
  }

  /**
   * The newest backup (by when it finished, not when it was checked) whose newest test
   * restore passed: one that passed once and failed since does not count.
   */
  async newestRestoreVerified(): Promise<BackupRecordEntity | null> {
    const [row] = await this.records.find({
      where: { state: 'succeeded', restoreVerifiedAt: Not(IsNull()), restoreCheckError: IsNull() },
      order: { finishedAt: 'DESC', id: 'DESC' },
      take: 1,
    });
    return row ?? null;
  }

  /** Inserts or overwrites the row of a backup found in storage (catalog rebuild). */
  async upsertFromManifest(manifest: BackupManifest, triggeredBy: BackupTrigger): Promise<'inserted' | 'updated'> {
    const existing = await this.find(manifest.id);
    const fields = {
      type: manifest.type,
      parentId: manifest.parentId,
      tag: manifest.tag,
      engine: manifest.engine,
      startedAt: new Date(manifest.startedAt),
      ...successFields(manifest),
    };
    if (existing) {
      await this.records.update({ id: manifest.id }, fields);
      return 'updated';
    }
    await this.records.insert({ id: manifest.id, triggeredBy, verifiedAt: null, ...fields });
    return 'inserted';
  }
}

function successFields(manifest: BackupManifest) {
  return {
    state: 'succeeded' as const,
    finishedAt: new Date(manifest.finishedAt),
    sizeBytes: manifest.files.reduce((sum, file) => sum + file.sizeBytes, 0),
    fileCount: manifest.files.length,
    errorCode: null,
    error: null,
    manifest: serialiseManifest(manifest),
  };
}
