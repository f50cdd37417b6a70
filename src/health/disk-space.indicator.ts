import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DiskSpaceProbe } from './disk-space.probe';

/** Down when DATA_DIR's file system has less free space than configured: backups and config files land there. */
@Injectable()
export class DiskSpaceIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly probe: DiskSpaceProbe,
  ) {}

  async check(key: string, path: string, minFreeBytes: number): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(key);
    const { freeBytes, totalBytes } = await this.probe.read(path);
    const data = { path, freeBytes, totalBytes, minFreeBytes };
    return freeBytes >= minFreeBytes ? session.up(data) : session.down({ ...data, message: 'not enough free space' });
  }
}
