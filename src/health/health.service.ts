import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, MemoryHealthIndicator, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { BackupIndicator } from '../backup';
import { ConfigStoreIndicator } from '../config-store';
import { AppConfig } from '../config/app-config';
import { boundedCheck } from './bounded-check';
import { FailoverIndicator } from '../failover';
import { DiskSpaceIndicator } from './disk-space.indicator';
import { HealthErrorCode } from './health.errors';

/** Seconds a load balancer should wait before asking again when not ready. */
const NOT_READY_RETRY_AFTER_SECONDS = 5;

@Injectable()
export class HealthService {
  constructor(
    private readonly config: AppConfig,
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly memory: MemoryHealthIndicator,
    private readonly disk: DiskSpaceIndicator,
    private readonly configStore: ConfigStoreIndicator,
    private readonly backup: BackupIndicator,
    private readonly failover: FailoverIndicator,
  ) {}

  /** Every indicator is bounded by HEALTH_CHECK_TIMEOUT_MS; a 503 carries which ones are down. */
  async ready(): Promise<HealthCheckResult> {
    const { checkTimeoutMs, diskMinFreeBytes, heapMaxBytes } = this.config.health;
    try {
      return await this.health.check([
        boundedCheck('database', checkTimeoutMs, () =>
          this.database.pingCheck('database', { timeout: checkTimeoutMs }),
        ),
        boundedCheck('disk', checkTimeoutMs, () => this.disk.check('disk', this.config.dataDir, diskMinFreeBytes)),
        boundedCheck('memory', checkTimeoutMs, () => this.memory.checkHeap('memory', heapMaxBytes)),
        boundedCheck('configStore', checkTimeoutMs, () => this.configStore.check('configStore')),
        boundedCheck('backup', checkTimeoutMs, () => this.backup.check('backup')),
        boundedCheck('topology', checkTimeoutMs, async () => this.failover.check('topology')),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      const down = Object.keys(result.error ?? {});
      throw new DomainError(HealthErrorCode.NotReady, ErrorKind.Unavailable, `Not ready: ${down.join(', ')} down`, {
        details: result,
        retryAfterSeconds: NOT_READY_RETRY_AFTER_SECONDS,
      });
    }
  }
}
