import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { BackupErrorCode } from './backup.errors';
import type { BackupManifest, ChainPosition } from './backup.types';
import { isBackupId } from './backup-id';
import type { KeyRing } from './crypto/key-ring';
import { parseManifest } from './manifest';
import type { BackupStorage } from './storage/backup-storage';

/** Longer than any sane chain (24 incrementals a day for weeks); stops a parent cycle. */
const MAX_CHAIN_LENGTH = 10_000;

/**
 * Reads backups from storage alone (no database): manifests and chains. Restore, verify
 * and catalog rebuild stand on this, so they work when the database is gone.
 */
export class BackupReader {
  constructor(
    readonly storage: BackupStorage,
    /**
     * Unwraps encrypted backups' data keys. Required, so no wiring gets an empty ring by
     * omission; KeyRing.none() reads plain backups only.
     */
    readonly keys: KeyRing,
  ) {}

  async manifest(id: string): Promise<BackupManifest> {
    if (!isBackupId(id))
      throw new DomainError(
        BackupErrorCode.NotFound,
        ErrorKind.InvalidInput,
        `${JSON.stringify(id)} is not a backup id`,
        { details: { field: 'id' } },
      );
    const text = await this.storage.readManifest(id);
    if (text === null)
      throw new DomainError(
        BackupErrorCode.NotUsable,
        ErrorKind.NotFound,
        `backup ${id} has no manifest in ${this.storage.description} (missing, unfinished or expired)`,
      );
    try {
      return parseManifest(text, id);
    } catch (error) {
      throw new DomainError(BackupErrorCode.Corrupt, ErrorKind.Conflict, (error as Error).message);
    }
  }

  /** The full backup and every incremental up to `id`, full first; each must start where its parent ended. */
  async chainOf(id: string): Promise<BackupManifest[]> {
    const chain = [await this.manifest(id)];
    while (chain[0].type === 'incremental') {
      if (chain.length > MAX_CHAIN_LENGTH)
        throw broken(`the chain of ${id} is longer than ${MAX_CHAIN_LENGTH} backups`);
      const child = chain[0];
      const parent = await this.manifest(child.parentId!).catch((error: DomainError) => {
        throw broken(`${child.id} needs ${child.parentId}: ${error.message}`);
      });
      if (parent.engine !== child.engine)
        throw broken(`${child.id} (${child.engine}) cannot follow ${parent.id} (${parent.engine})`);
      if (!samePosition(parent.end, child.start)) throw broken(`${child.id} does not start where ${parent.id} ended`);
      chain.unshift(parent);
    }
    return chain;
  }
}

export function samePosition(a: ChainPosition | null, b: ChainPosition | null): boolean {
  return a !== null && b !== null && JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
}

function sorted(value: ChainPosition): [string, unknown][] {
  return Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
}

function broken(reason: string): DomainError {
  return new DomainError(BackupErrorCode.ChainBroken, ErrorKind.Conflict, `broken chain: ${reason}`);
}
