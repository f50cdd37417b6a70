import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { BackupStatus } from './backup-status';

/**
 * Reports the backup status summary (ages of the newest verified, restore-verified and
 * successful backup). Always "up": a node that can serve must not leave rotation because a
 * backup is old; alert on the age.
 */
@Injectable()
export class BackupIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly status: BackupStatus,
  ) {}

  async check(key: string): Promise<HealthIndicatorResult> {
    return this.indicators.check(key).up({ ...(await this.status.summary()) });
  }
}
