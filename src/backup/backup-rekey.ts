import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { BackupErrorCode } from './backup.errors';
import type { BackupManifest } from './backup.types';
import { BackupReader } from './backup-reader';
import { parseManifest, serialiseManifest } from './manifest';

export interface RekeyReport {
  dryRun: boolean;
  /** The first configured key: every encrypted backup ends wrapped by it. */
  keyId: string;
  rewrapped: { id: string; from: string }[];
  skipped: { id: string; reason: string }[];
  failed: { id: string; problem: string }[];
}

/**
 * Key rotation: re-wraps every encrypted backup's data key with the first configured key,
 * rewriting its manifest only (storage.replaceManifest); data files are never touched, so
 * their sha256 stay valid. Idempotent: backups already under the first key are skipped.
 * Reads storage alone, like verify and restore.
 */
export async function rekeyBackups(reader: BackupReader, dryRun: boolean): Promise<RekeyReport> {
  const keyId = reader.keys.currentKeyId;
  if (!keyId)
    throw new DomainError(
      BackupErrorCode.KeyMissing,
      ErrorKind.Conflict,
      'rekey needs a master key: set BACKUP_ENCRYPTION_KEYS or BACKUP_ENCRYPTION_KEYS_FILE, the new key first',
    );
  const report: RekeyReport = { dryRun, keyId, rewrapped: [], skipped: [], failed: [] };
  for (const id of (await reader.storage.listIds()).sort()) {
    try {
      const outcome = await rekeyOne(reader, id, keyId, dryRun);
      if (outcome.kind === 'rewrapped') report.rewrapped.push({ id, from: outcome.from });
      else report.skipped.push({ id, reason: outcome.reason });
    } catch (error) {
      report.failed.push({ id, problem: (error as Error).message });
    }
  }
  return report;
}

type Outcome = { kind: 'rewrapped'; from: string } | { kind: 'skipped'; reason: string };

async function rekeyOne(reader: BackupReader, id: string, keyId: string, dryRun: boolean): Promise<Outcome> {
  const text = await reader.storage.readManifest(id);
  if (text === null) return { kind: 'skipped', reason: 'no manifest (unfinished, or being removed)' };
  const manifest = parseManifest(text, id);
  if (!manifest.encryption) return { kind: 'skipped', reason: 'plain (not encrypted)' };
  const from = manifest.encryption.keyId;
  if (from === keyId) {
    reader.keys.sealOf(manifest); // a wrapped key the current key cannot open is a failure, not "done"
    return { kind: 'skipped', reason: `already wrapped by ${keyId}` };
  }
  // Every other field is kept as read, including ones this build does not know.
  const next: BackupManifest = { ...manifest, encryption: reader.keys.rewrap(id, manifest.encryption) };
  const nextText = serialiseManifest(next);
  reader.keys.sealOf(parseManifest(nextText, id)); // proves the new wrap opens before it replaces the old
  if (!dryRun) await reader.storage.replaceManifest(id, nextText);
  return { kind: 'rewrapped', from };
}

/** `POST /api/v1/backups/rekey`: the same, logged. */
@Injectable()
export class BackupRekeyService {
  private readonly logger = new Logger('Backup');

  constructor(private readonly reader: BackupReader) {}

  async rekey(dryRun: boolean): Promise<RekeyReport> {
    const report = await rekeyBackups(this.reader, dryRun);
    this.logger[report.failed.length > 0 ? 'error' : 'log']({
      msg: 'backup data keys re-wrapped',
      dryRun,
      keyId: report.keyId,
      rewrapped: report.rewrapped.length,
      skipped: report.skipped.length,
      failed: report.failed,
    });
    return report;
  }
}
