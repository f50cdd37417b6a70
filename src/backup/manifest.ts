import {
  BACKUP_TYPES,
  type BackupManifest,
  type BackupTrigger,
  type BackupType,
  type EngineName,
  MANIFEST_FORMAT,
  type ManifestEncryption,
  type ManifestFile,
} from './backup.types';
import { encryptionProblems } from './crypto/envelope';
import type { EngineResult } from './engines/backup-engine';
import { isBackupId } from './backup-id';

export const MANIFEST_NAME = 'manifest.json';

export interface ManifestFacts {
  id: string;
  type: BackupType;
  parent: BackupManifest | null;
  tag: string | null;
  triggeredBy?: BackupTrigger;
  engine: EngineName;
  schemaVersion: string | null;
  result: EngineResult;
  /** The engine's files and whatever the caller stored beside them (the configs archive). */
  files: ManifestFile[];
  startedAt: Date;
  finishedAt: Date;
  /** The wrapped data key when the files are encrypted. */
  encryption?: ManifestEncryption | null;
}

/** The manifest of a finished engine run. */
export function assembleManifest(facts: ManifestFacts): BackupManifest {
  return {
    format: MANIFEST_FORMAT,
    id: facts.id,
    type: facts.type,
    parentId: facts.parent?.id ?? null,
    tag: facts.tag,
    triggeredBy: facts.triggeredBy,
    engine: facts.engine,
    serverVersion: facts.result.serverVersion,
    schemaVersion: facts.schemaVersion,
    sourceDatabase: facts.result.sourceDatabase,
    start: facts.result.start,
    end: facts.result.end,
    startedAt: facts.startedAt.toISOString(),
    finishedAt: facts.finishedAt.toISOString(),
    files: facts.files,
    ...(facts.encryption ? { encryption: facts.encryption } : {}),
    ...(facts.result.verification ? { verification: facts.result.verification } : {}),
  };
}

export function serialiseManifest(manifest: BackupManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Parses a stored manifest and checks the fields restore relies on; a manifest that is
 * not ours or is damaged is refused with the reason, never half-trusted.
 */
export function parseManifest(text: string, expectedId: string): BackupManifest {
  let value: Partial<BackupManifest>;
  try {
    value = JSON.parse(text) as Partial<BackupManifest>;
  } catch {
    throw new Error(`manifest of ${expectedId} is not valid JSON`);
  }
  const problems: string[] = [];
  if (value.format !== MANIFEST_FORMAT) problems.push(`format is not ${MANIFEST_FORMAT}`);
  if (value.id !== expectedId) problems.push(`id ${JSON.stringify(value.id)} does not match its folder`);
  if (!BACKUP_TYPES.includes(value.type as never)) problems.push('type is missing');
  if (value.type === 'incremental' && !isBackupId(value.parentId)) problems.push('an incremental names no parent');
  if (value.engine !== 'mysql' && value.engine !== 'sqlite') problems.push('engine is missing');
  if (!value.end || typeof value.end !== 'object') problems.push('end position is missing');
  if (!Array.isArray(value.files) || value.files.some((f) => !/^[0-9a-f]{64}$/.test(f?.sha256 ?? '')))
    problems.push('file list is damaged');
  problems.push(...encryptionProblems(value.encryption));
  if (problems.length > 0) throw new Error(`manifest of ${expectedId} is unusable: ${problems.join('; ')}`);
  return value as BackupManifest;
}
