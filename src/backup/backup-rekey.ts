import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { BackupErrorCode } from './backup.errors';
import type { BackupManifest } from './backup.types';
import { BackupLock } from './backup-lock';
import { BackupReader } from './backup-reader';
import { BackupCatalogService } from './catalog/backup-catalog.service';
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
 * Reads storage alone, like verify and restore. A real run holds the backup lock: a manifest
 * is never rewritten while retention removes its backup (which would bring a manifest back
 * into a half-removed folder), nor beside a running backup or another rekey.
 * `onRewrapped` sees each new manifest once stored (the catalog's copy follows it).
 */
export async function rekeyBackups(
  reader: BackupReader,
  lock: BackupLock,
  dryRun: boolean,
  onRewrapped: (manifest: BackupManifest) => Promise<void> = async () => undefined,
): Promise<RekeyReport> {
  const keyId = reader.keys.currentKeyId;
  if (!keyId)
    throw new DomainError(
      BackupErrorCode.KeyMissing,
      ErrorKind.Conflict,
      'rekey needs a master key: set BACKUP_ENCRYPTION_KEYS or BACKUP_ENCRYPTION_KEYS_FILE, the new key first',
    );
  if (dryRun) return rekeyAll(reader, keyId, true, new AbortController().signal, onRewrapped);
  return lock.hold('rekey', (lost) => rekeyAll(reader, keyId, false, lost, onRewrapped));
}

async function rekeyAll(
  reader: BackupReader,
  keyId: string,
  dryRun: boolean,
  lost: AbortSignal,
  onRewrapped: (manifest: BackupManifest) => Promise<void>,
): Promise<RekeyReport> {
  const report: RekeyReport = { dryRun, keyId, rewrapped: [], skipped: [], failed: [] };
  for (const id of (await reader.storage.listIds()).sort()) {
    lost.throwIfAborted(); // the lock went stale: stop before writing without it
    try {
      const outcome = await rekeyOne(reader, id, keyId, dryRun);
      if (outcome.kind === 'rewrapped') {
        report.rewrapped.push({ id, from: outcome.from });
        if (outcome.manifest) await onRewrapped(outcome.manifest);
      } else report.skipped.push({ id, reason: outcome.reason });
    } catch (error) {
      report.failed.push({ id, problem: (error as Error).message });
    }
  }
  return report;
}

type Outcome =
  { kind: 'rewrapped'; from: string; manifest: BackupManifest | null } | { kind: 'skipped'; reason: string };

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
  if (dryRun) return { kind: 'rewrapped', from, manifest: null };
  await reader.storage.replaceManifest(id, nextText);
  return { kind: 'rewrapped', from, manifest: next };
}

/** `POST /api/v1/backups/rekey`: the same, logged. */
@Injectable()
export class BackupRekeyService {
  private readonly logger = new Logger('Backup');

  constructor(
    private readonly reader: BackupReader,
    private readonly lock: BackupLock,
    private readonly catalog: BackupCatalogService,
  ) {}

  async rekey(dryRun: boolean): Promise<RekeyReport> {
    // The catalog keeps a copy of each manifest: it must not keep the old key's wrap either.
    const report = await rekeyBackups(this.reader, this.lock, dryRun, (manifest) =>
      this.catalog.replaceManifestCopy(manifest),
    );
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
