import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as lockfile from 'proper-lockfile';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { BackupErrorCode } from './backup.errors';
import { BACKUP_FOLDER_MODE } from './storage/local-backup.storage';

/** A lock not refreshed for this long belongs to a dead process. */
export const LOCK_STALE_MS = 5000;

/**
 * One backup at a time across processes (the service, the CLI, other nodes on shared
 * storage): proper-lockfile's mkdir lock in the storage directory, which works on NFS and
 * is refreshed while held, so a killed holder's lock goes stale after LOCK_STALE_MS.
 */
export class BackupLock {
  /** What this process holds the lock for outside a backup (retention, rekey), for messages. */
  private heldFor: string | null = null;
  /** A short hold of this process (retention) that a backup waits for instead of being refused. */
  private shortHold: Promise<unknown> | null = null;

  constructor(private readonly directory: string) {}

  /** Why this process holds the lock outside a backup, or null. */
  get holder(): string | null {
    return this.heldFor;
  }

  /** The release function, or null when another live process (or a rekey of this one) holds the lock. */
  async tryAcquire(onLost: (error: Error) => void): Promise<(() => Promise<void>) | null> {
    // Retention right after a backup must not refuse the next one: wait for it to end.
    while (this.shortHold) await this.shortHold.catch(() => undefined);
    return this.acquire(onLost);
  }

  /**
   * Runs `work` holding the lock, so it never interleaves with a backup, retention or a rekey
   * (in this process or another on the same storage). Refuses with BACKUP_ALREADY_RUNNING when
   * the lock is taken. `short`: backups starting meanwhile in this process wait for it.
   * `work` gets a signal that fires when the lock was lost (it went stale).
   */
  async hold<T>(what: string, work: (signal: AbortSignal) => Promise<T>, short = false): Promise<T> {
    const lost = new AbortController();
    const release = await this.tryAcquire((error) => lost.abort(error));
    if (!release)
      throw new DomainError(
        BackupErrorCode.AlreadyRunning,
        ErrorKind.Conflict,
        `${what} refused: ${this.heldFor ?? 'a backup'} holds the backup lock on ${this.directory}; try again when it is done`,
        { details: { runningId: null } },
      );
    this.heldFor = what;
    const running = work(lost.signal);
    if (short) this.shortHold = running;
    try {
      return await running;
    } finally {
      this.heldFor = null;
      if (short) this.shortHold = null;
      await release().catch(() => undefined);
    }
  }

  private async acquire(onLost: (error: Error) => void): Promise<(() => Promise<void>) | null> {
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
