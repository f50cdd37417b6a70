import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as lockfile from 'proper-lockfile';
import { BACKUP_FOLDER_MODE } from './storage/local-backup.storage';

/** A lock not refreshed for this long belongs to a dead process. */
export const LOCK_STALE_MS = 5000;

/**
 * One backup at a time across processes (the service, the CLI, other nodes on shared
 * storage): proper-lockfile's mkdir lock in the storage directory, which works on NFS and
 * is refreshed while held, so a killed holder's lock goes stale after LOCK_STALE_MS.
 */
export class BackupLock {
  constructor(private readonly directory: string) {}

  /** The release function, or null when another live process holds the lock. */
  async tryAcquire(onLost: (error: Error) => void): Promise<(() => Promise<void>) | null> {
    // The first backup usually creates BACKUP_DIR here: owner-only, like every backup folder.
    await mkdir(this.directory, { recursive: true, mode: BACKUP_FOLDER_MODE });
    try {
      return await lockfile.lock(this.directory, {
        lockfilePath: join(this.directory, '.backup.lock'),
        stale: LOCK_STALE_MS,
        update: LOCK_STALE_MS / 2,
        retries: 0,
        realpath: false,
        onCompromised: onLost,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return null;
      throw error;
    }
  }
}
