import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { FailoverStatusService } from './failover-status.service';
import { StandbyHealth } from './standby-health/standby-health';

/**
 * Readiness: the topology (epoch, primary) and each standby's lag. Down only while the
 * app's pool is being moved to a new primary, so load balancers hold traffic for that
 * moment; lag is reported, not judged (alert on it). A standby problem (replication
 * stopped, broken, or from the wrong source) makes it `degraded: true` with the problems
 * listed, but still up: this node serves every request, and taking every node out of the
 * load balancer for a standby would turn lost redundancy into an outage. An interrupted failover
 * still pending after a tick makes it degraded the same way.
 */
@Injectable()
export class FailoverIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly status: FailoverStatusService,
    private readonly standbyHealth: StandbyHealth,
  ) {}

  check(key: string): HealthIndicatorResult {
    const status = this.status.status();
    if (!('servers' in status) || !status.servers || !status.detection)
      return this.indicators.check(key).up({ replicated: false });
    const pendingWarning = this.status.pendingFailoverWarning();
    const details = {
      epoch: status.epoch,
      primary: status.primary,
      switching: status.switching,
      verdict: status.detection.verdict,
      standbys: status.servers
        .filter((server) => server.role === 'standby')
        .map((server) => ({
          key: server.key,
          reachable: server.reachable,
          lagSeconds: 'replication' in server ? (server.replication?.lagSeconds ?? null) : null,
        })),
      fenced: status.servers.filter((server) => server.role === 'fenced').map((server) => server.key),
      degraded: this.standbyHealth.problems().length > 0 || pendingWarning !== null,
      standbyProblems: this.standbyHealth.problems(),
      // An interrupted failover not settled (the topology may name a read-only primary): degraded, never down.
      pendingFailover: pendingWarning,
    };
    return status.switching ? this.indicators.check(key).down(details) : this.indicators.check(key).up(details);
  }
}
