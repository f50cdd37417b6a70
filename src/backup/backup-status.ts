import { Injectable } from '@nestjs/common';
import { Clock } from '../common/time/clock';
import { BackupService } from './backup.service';
import { BackupCatalogService } from './catalog/backup-catalog.service';
import type { BackupCipher } from '../config/encryption-keys';
import { KeyRing } from './crypto/key-ring';

export interface BackupStatusSummary {
  newestVerifiedId: string | null;
  newestVerifiedAgeSeconds: number | null;
  newestSucceededId: string | null;
  newestSucceededAgeSeconds: number | null;
  newestRestoreVerifiedId: string | null;
  newestRestoreVerifiedAgeSeconds: number | null;
  newestRestoreVerifiedAt: string | null;
  running: string | null;
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
    const [verified, succeeded, restoreVerified] = await Promise.all([
      this.catalog.newestVerified(),
      this.catalog.newestSucceeded(),
      this.catalog.newestRestoreVerified(),
    ]);
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
      // What new backups are written with: the cipher and the key id, never key bytes.
      encryption: { cipher: this.keys.cipher, currentKeyId: this.keys.encrypting ? this.keys.currentKeyId : null },
    };
  }
}
