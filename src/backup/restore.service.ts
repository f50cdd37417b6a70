import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { BackupErrorCode } from './backup.errors';
import type { BackupManifest, EngineName } from './backup.types';
import { type BackupReader } from './backup-reader';
import { extractConfigsArchive } from './configs-archive';
import { type RestoreEngine } from './engines/restore-engine';
import { type ProgressTracker } from './progress';
import { type RestorePlan, parseRestorePoint, planRestore } from './restore-plan';
import type { FileSeal } from './crypto/file-seal';
import { checkBackupFiles, fileProblems } from './streams/read-file';
import { BACKUP_FOLDER_MODE } from './storage/local-backup.storage';

export interface RestoreRequest {
  backupId: string;
  to?: string | null;
  target: string;
  force?: boolean;
  /** Where to put the backed-up config files; not restored when absent. */
  configsTo?: string | null;
  /** Keep the restore out of the target's binary log (a scratch database on a primary). */
  unlogged?: boolean;
}

export interface RestoreResult {
  backupId: string;
  target: string;
  chain: string[];
  reaches: string;
  rowCounts: Record<string, number>;
  durationMs: number;
}

/** Summarised for a dry run and the API. */
export function describePlan(plan: RestorePlan) {
  return {
    engine: plan.engine,
    reaches: plan.reaches,
    chain: plan.chain.map((b) => ({
      id: b.id,
      type: b.type,
      finishedAt: b.finishedAt,
      files: b.files.map((f) => f.name),
    })),
  };
}

/**
 * Restores from storage alone: plan the chain, check the target, verify every file of the
 * chain before the first byte is written, then hand the chain to the engine. Shared by the
 * API and the CLI; needs no catalog, so it works when the database is gone.
 */
export class RestoreService {
  constructor(
    private readonly reader: BackupReader,
    private readonly engines: Record<EngineName, RestoreEngine>,
    private readonly tempRoot: string,
  ) {}

  async plan(backupId: string, to?: string | null): Promise<RestorePlan> {
    const point = parseRestorePoint(to);
    return planRestore(await this.reader.chainOf(backupId), point);
  }

  async checkTarget(plan: RestorePlan, target: string, force: boolean): Promise<void> {
    await this.engines[plan.engine].checkTarget(target, force);
  }

  /**
   * Unwraps every data key of the plan with this node's keys (manifests only, nothing
   * downloaded): a dry run answers BACKUP_KEY_MISSING / BACKUP_KEY_WRONG, naming the key id,
   * where the restore itself would fail.
   */
  checkKeys(plan: RestorePlan): void {
    for (const backup of plan.chain) this.reader.keys.sealOf(backup);
  }

  async restore(request: RestoreRequest, progress: ProgressTracker, signal: AbortSignal): Promise<RestoreResult> {
    const started = Date.now();
    const plan = await this.plan(request.backupId, request.to);
    const engine = this.engines[plan.engine];
    await engine.checkTarget(request.target, request.force ?? false);
    const seals = await this.verifyFiles(plan.chain, progress);
    await mkdir(this.tempRoot, { recursive: true, mode: BACKUP_FOLDER_MODE });
    const tempDir = await mkdtemp(join(this.tempRoot, 'restore-'));
    try {
      const outcome = await engine.restore({
        storage: this.reader.storage,
        chain: plan.chain,
        point: plan.point,
        target: request.target,
        force: request.force ?? false,
        unlogged: request.unlogged ?? false,
        signal,
        progress,
        tempDir,
        seals,
      });
      if (request.configsTo) await this.restoreConfigs(plan.chain[plan.chain.length - 1], request.configsTo, seals);
      progress.enter('done');
      return {
        backupId: request.backupId,
        target: request.target,
        chain: plan.chain.map((b) => b.id),
        reaches: plan.reaches,
        rowCounts: outcome.rowCounts,
        durationMs: Date.now() - started,
      };
    } finally {
      await rm(tempDir, { recursive: true, force: true });
    }
  }

  /**
   * Unwraps every data key first (a missing or wrong key fails here, naming it), then re-reads
   * every file, decrypting and authenticating each chunk of encrypted ones. Returns the keys.
   */
  private async verifyFiles(chain: BackupManifest[], progress: ProgressTracker): Promise<Map<string, FileSeal | null>> {
    const seals = new Map(chain.map((backup) => [backup.id, this.reader.keys.sealOf(backup)]));
    progress.enter(
      'verify',
      chain.reduce((sum, b) => sum + b.files.reduce((s, f) => s + f.sizeBytes, 0), 0),
    );
    const problems: string[] = [];
    for (const backup of chain)
      problems.push(
        ...fileProblems(
          await checkBackupFiles(this.reader.storage, backup, progress.addBytes, seals.get(backup.id)),
          `${backup.id}/`,
        ),
      );
    if (problems.length > 0) {
      throw new DomainError(
        BackupErrorCode.Corrupt,
        ErrorKind.Conflict,
        `restore refused, the chain is damaged: ${problems.join('; ')}`,
        { details: { problems } },
      );
    }
    return seals;
  }

  private async restoreConfigs(
    backup: BackupManifest,
    directory: string,
    seals: Map<string, FileSeal | null>,
  ): Promise<void> {
    const file = backup.files.find((f) => f.role === 'configs');
    if (file) await extractConfigsArchive(this.reader.storage, backup.id, file, directory, seals.get(backup.id));
  }
}
