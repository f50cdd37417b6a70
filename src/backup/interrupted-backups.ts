import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/time/clock';
import { BackupErrorCode } from './backup.errors';
import { BackupLock, LOCK_STALE_MS } from './backup-lock';
import { BackupReader } from './backup-reader';
import { BackupCatalogService } from './catalog/backup-catalog.service';
import { BackupStorage } from './storage/backup-storage';

const RETRY_MS = 1000;

/**
 * Catalog rows left `running` by a process that died (kill -9, power loss). Once the
 * backup lock is free (a dead holder's lock goes stale), each is settled: a backup whose
 * manifest made it to storage did finish and is recorded as succeeded; any other is
 * marked failed and its partial files are removed, so it is never listed as usable.
 */
@Injectable()
export class InterruptedBackups {
  private readonly logger = new Logger('Backup');
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly catalog: BackupCatalogService,
    private readonly storage: BackupStorage,
    private readonly reader: BackupReader,
    private readonly lock: BackupLock,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  /**
   * Settles under the lock if it is free now (awaited at start, before any request can
   * take a backup); otherwise retries in the background until a dead holder's lock is stale.
   */
  async settle(before: Date, isOwn: (id: string) => boolean): Promise<void> {
    if (await this.attempt(before, isOwn)) return;
    void this.retry(before, isOwn);
  }

  private async retry(before: Date, isOwn: (id: string) => boolean): Promise<void> {
    const deadline = Date.now() + LOCK_STALE_MS * 4;
    while (!this.stopped && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
      if (this.stopped || (await this.attempt(before, isOwn).catch(() => false))) return;
    }
  }

  private async attempt(before: Date, isOwn: (id: string) => boolean): Promise<boolean> {
    const release = await this.lock.tryAcquire(() => undefined);
    if (!release) return false;
    try {
      await this.settleUnderLock(before, isOwn);
      return true;
    } finally {
      await release().catch(() => undefined);
    }
  }

  private async settleUnderLock(before: Date, isOwn: (id: string) => boolean): Promise<void> {
    for (const row of await this.catalog.findRunning()) {
      if (row.startedAt >= before || isOwn(row.id)) continue;
      const manifest = await this.reader.manifest(row.id).catch(() => null);
      if (manifest) {
        await this.catalog.markSucceeded(manifest);
        this.logger.warn({ msg: 'interrupted backup had finished; recorded as succeeded', id: row.id });
      } else {
        await this.storage.remove(row.id);
        const reason = 'interrupted: the process stopped during the backup; its partial files were removed';
        await this.catalog.markFailed(row.id, BackupErrorCode.Interrupted, reason, this.clock.now());
        this.logger.warn({ msg: 'interrupted backup marked failed', id: row.id });
      }
    }
  }
}
