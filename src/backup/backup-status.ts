import { Injectable } from '@nestjs/common';
import { Clock } from '../common/time/clock';
import { BackupService } from './backup.service';
import { BackupCatalogService } from './catalog/backup-catalog.service';
import type { BackupCipher } from '../config/encryption-keys';
import { KeyRing } from './crypto/key-ring';
import { pitrWindow } from './backup-metrics.snapshot';

export interface BackupStatusSummary {
  newestVerifiedId: string | null;
  newestVerifiedAgeSeconds: number | null;
  newestSucceededId: string | null;
  newestSucceededAgeSeconds: number | null;
  newestRestoreVerifiedId: string | null;
  newestRestoreVerifiedAgeSeconds: number | null;
  newestRestoreVerifiedAt: string | null;
  running: string | null;
  /**
   * The point-in-time restore window: the newest whole chain, from its full backup's end to
   * its newest backup's end (`to`); null without a succeeded whole chain.
   */
  pitr: { from: string; to: string; seconds: number; endAgeSeconds: number } | null;
  encryption: { cipher: BackupCipher; currentKeyId: string | null };
}

/**
 * The age of the newest verified, restore-verified (test restore) and successful backup. One
 * summary for readiness and GET /api/v1/backups/status, so the two cannot drift apart.
 */
@Injectable()
export class BackupStatus {
  constructor(
    private readonly catalog: BackupCatalogService,
    private readonly backups: BackupService,
    private readonly clock: Clock,
    private readonly keys: KeyRing,
  ) {}

  async summary(): Promise<BackupStatusSummary> {
    const [verified, succeeded, restoreVerified, summaries] = await Promise.all([
      this.catalog.newestVerified(),
      this.catalog.newestSucceeded(),
      this.catalog.newestRestoreVerified(),
      this.catalog.succeededSummaries(),
    ]);
    const now = this.clock.now();
    const window = pitrWindow(summaries, now);
    const ageOf = (at: Date | null | undefined) =>
      at ? Math.round((this.clock.now().getTime() - at.getTime()) / 1000) : null;
    return {
      newestVerifiedId: verified?.id ?? null,
      newestVerifiedAgeSeconds: ageOf(verified?.finishedAt),
      newestSucceededId: succeeded?.id ?? null,
      newestSucceededAgeSeconds: ageOf(succeeded?.finishedAt),
      // A test restore proved it: the backup's age (how much would be lost), and when it was proved.
      newestRestoreVerifiedId: restoreVerified?.id ?? null,
      newestRestoreVerifiedAgeSeconds: ageOf(restoreVerified?.finishedAt),
      newestRestoreVerifiedAt: restoreVerified?.restoreVerifiedAt?.toISOString() ?? null,
      running: this.backups.runningId,
      pitr: window
        ? {
            from: window.from.toISOString(),
            to: window.to.toISOString(),
            seconds: Math.round(window.seconds),
            endAgeSeconds: Math.round(window.endAgeSeconds),
          }
        : null,
      // What new backups are written with: the cipher and the key id, never key bytes.
      encryption: { cipher: this.keys.cipher, currentKeyId: this.keys.encrypting ? this.keys.currentKeyId : null },
    };
  }
}
