import { Injectable, Logger } from '@nestjs/common';
import { EventBus } from '../common/events/event-bus';
import { Clock } from '../common/time/clock';
import { DomainError } from '../common/errors/domain-error';
import { BackupErrorCode } from './backup.errors';
import { BackupReader } from './backup-reader';
import { BackupCatalogService } from './catalog/backup-catalog.service';
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
    let seal;
    try {
      seal = reader.keys.sealOf(manifest);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // Not damage: this node lacks the key. The files stay unchecked, and so does the catalog.
      chain.push({ id: manifest.id, ok: false, files: [], keyProblem: error.message });
      continue;
    }
    const files = await checkBackupFiles(reader.storage, manifest, undefined, seal);
    chain.push({ id: manifest.id, ok: files.every((f) => f.ok), files });
  }
  const problems = chain.flatMap((backup) =>
    backup.keyProblem ? [backup.keyProblem] : fileProblems(backup.files, `${backup.id}/`),
  );
  return { id, ok: problems.length === 0, chain, problems };
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
      if (backup.keyProblem) continue;
      if (backup.ok) {
        await this.catalog.markVerified(backup.id, now);
      } else {
        await this.catalog.markFailed(
          backup.id,
          BackupErrorCode.Corrupt,
          `verify failed: ${fileProblems(backup.files).join('; ')}`,
          now,
        );
      }
    }
    this.logger[report.ok ? 'log' : 'error']({ msg: 'backup verified', id, ok: report.ok, problems: report.problems });
    this.events.emit('backup.verified', { id, ok: report.ok, problems: report.problems });
    return report;
  }
}
