import { Injectable, Logger } from '@nestjs/common';
import { EventBus } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import { DomainError } from '../common/errors/domain-error';
import { BackupErrorCode } from './backup.errors';
import type { BackupManifest } from './backup.types';
import { BackupReader } from './backup-reader';
import { BackupCatalogService } from './catalog/backup-catalog.service';
import type { FileSeal } from './crypto/file-seal';
import { FileCheck, checkBackupFiles, fileProblems } from './streams/read-file';

export interface VerifyReport {
  id: string;
  ok: boolean;
  /** Every backup of the chain, full first, with each file's result. */
  chain: { id: string; ok: boolean; files: FileCheck[]; keyProblem?: string }[];
  problems: string[];
}

/** Reads a chain from storage, checks the links, and re-reads every file against its sha256. */
export async function verifyChain(reader: BackupReader, id: string): Promise<VerifyReport> {
  let manifests;
  try {
    manifests = await reader.chainOf(id);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { id, ok: false, chain: [], problems: [error.message] };
  }
  const chain: VerifyReport['chain'] = [];
  for (const manifest of manifests) {
    const { seal, keyProblem } = sealOrKeyProblem(reader, manifest);
    // Without the key the files are still checked against the manifest (size and sha256):
    // damage is found on any node, and reported next to the key problem.
    const files = await checkBackupFiles(reader.storage, manifest, undefined, seal);
    const ok = !keyProblem && files.every((f) => f.ok);
    chain.push({ id: manifest.id, ok, files, ...(keyProblem ? { keyProblem } : {}) });
  }
  const problems = chain.flatMap((backup) => [
    ...(backup.keyProblem ? [backup.keyProblem] : []),
    ...fileProblems(backup.files, `${backup.id}/`),
  ]);
  return { id, ok: problems.length === 0, chain, problems };
}

/** The backup's data key, or why this node cannot unwrap it (BACKUP_KEY_MISSING / BACKUP_KEY_WRONG). */
export function sealOrKeyProblem(
  reader: BackupReader,
  manifest: BackupManifest,
): { seal: FileSeal | null; keyProblem?: string } {
  try {
    return { seal: reader.keys.sealOf(manifest) };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { seal: null, keyProblem: error.message };
  }
}

/** Verify with consequences: the catalog learns what is verified and what is corrupt. */
@Injectable()
export class BackupVerifyService {
  private readonly logger = new Logger('Backup');

  constructor(
    private readonly reader: BackupReader,
    private readonly catalog: BackupCatalogService,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  async verify(id: string): Promise<VerifyReport> {
    await this.reader.manifest(id); // 404 for an unknown id, before any report
    const report = await verifyChain(this.reader, id);
    const now = this.clock.now();
    for (const backup of report.chain) {
      const damaged = fileProblems(backup.files);
      // A key problem alone is not damage: the catalog row stays as it was.
      if (backup.keyProblem && damaged.length === 0) continue;
      if (backup.ok) {
        await this.catalog.markVerified(backup.id, now);
      } else {
        await this.catalog.markFailed(backup.id, BackupErrorCode.Corrupt, `verify failed: ${damaged.join('; ')}`, now);
      }
    }
    this.logger[report.ok ? 'log' : 'error']({ msg: 'backup verified', id, ok: report.ok, problems: report.problems });
    this.events.emit('backup.verified', { id, ok: report.ok, problems: report.problems });
    return report;
  }
}
