import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Clock } from '../common/time/clock';
import { BackupService } from './backup.service';
import { BackupCatalogService } from './catalog/backup-catalog.service';
import { KeyRing } from './crypto/key-ring';

/**
 * Reports the age of the newest verified, newest restore-verified (test restore) and newest successful backup. Always "up": a
 * node that can serve must not leave rotation because a backup is old; alert on the age.
 */
@Injectable()
export class BackupIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly catalog: BackupCatalogService,
    private readonly backups: BackupService,
    private readonly clock: Clock,
    private readonly keys: KeyRing,
  ) {}

  async check(key: string): Promise<HealthIndicatorResult> {
    const [verified, succeeded, restoreVerified] = await Promise.all([
      this.catalog.newestVerified(),
      this.catalog.newestSucceeded(),
      this.catalog.newestRestoreVerified(),
    ]);
    const ageOf = (at: Date | null | undefined) =>
      at ? Math.round((this.clock.now().getTime() - at.getTime()) / 1000) : null;
    return this.indicators.check(key).up({
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
    });
  }
}
