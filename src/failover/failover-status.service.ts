import { Injectable } from '@nestjs/common';
import { Clock } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import type { FailoverRecord } from '../database/topology/topology-state';
import { DatabaseTopology } from '../database/topology/database-topology';
import { AppAccountCheck } from './app-account.check';
import { AppPool } from './app-pool';
import { AutomaticFailover } from './automatic-failover';
import { cooldownEndsAt } from './failover-policy';
import { FailoverMonitor } from './failover-monitor.service';
import { FailoverRunner } from './failover-runner';
import { Fencer } from './fencer';
import { pendingFailoverView, pendingFailoverWarning } from './journal/pending-failover-view';
import { RejoinService } from './rejoin/rejoin.service';

/** GET /api/v1/failover/status: everything an operator looks at first, from memory and the state file. */
@Injectable()
export class FailoverStatusService {
  constructor(
    private readonly config: AppConfig,
    private readonly topology: DatabaseTopology,
    private readonly monitor: FailoverMonitor,
    private readonly runner: FailoverRunner,
    private readonly fencer: Fencer,
    private readonly pool: AppPool,
    private readonly automatic: AutomaticFailover,
    private readonly appAccount: AppAccountCheck,
    private readonly clock: Clock,
    private readonly rejoin: RejoinService,
  ) {}

  status() {
    if (!this.topology.replicated) return { enabled: false, reason: this.monitor.disabledReason };
    const state = this.topology.state;
    const seen = this.monitor.snapshot();
    const cooldownUntil = cooldownEndsAt(state.control, this.config.failover.cooldownMs);
    return {
      enabled: this.monitor.disabledReason === null,
      reason: this.monitor.disabledReason,
      epoch: state.epoch,
      primary: state.primary,
      switching: this.runner.inProgress || this.pool.switching,
      servers: this.topology.servers().map((server) => this.serverView(server.key, server.role, seen)),
      detection: {
        heartbeatIntervalMs: this.config.failover.heartbeatIntervalMs,
        heartbeatTimeoutMs: this.config.failover.heartbeatTimeoutMs,
        failureThreshold: this.config.failover.failureThreshold,
        confirmationWindowMs: seen.windowMs,
        misses: seen.misses,
        verdict: seen.verdict.kind,
        lastTickAt: seen.lastTickAt,
        blockedReason: seen.blockedReason,
      },
      cooldown: {
        cooldownMs: this.config.failover.cooldownMs,
        active: cooldownUntil !== null && cooldownUntil > this.clock.now(),
        until: cooldownUntil?.toISOString() ?? null,
        acknowledged: state.control.acknowledged,
        lastChangeAt: state.control.lastChangeAt,
      },
      maintenance: { enabled: state.control.maintenance, reason: state.control.maintenanceReason },
      disabledReason: this.automatic.disabledReason,
      appAccount: this.appAccount.result,
      warnings: [...seen.warnings, ...[this.pendingFailoverWarning()].filter((w) => w !== null)],
      pendingFailover: pendingFailoverView(state.pending),
      zeroLossGuard: {
        semiSync: seen.semiSync,
        acknowledgedPosition: seen.acknowledgedPosition || null,
        lossWaitMs: this.config.failover.lossWaitMs,
        allowLoss: this.config.failover.allowLoss,
      },
      replicaConfiguration: seen.replicaConfiguration,
      // A veto changed nothing: the last change is the newest failover or switchover that ran.
      lastChange: state.history.find((record) => record.outcome !== 'vetoed') ?? null,
      hooks: hooksView(this.config),
      lastVeto: vetoView(state.history.find((record) => record.outcome === 'vetoed')),
    };
  }

  /** An interrupted failover that outlived a tick, and what it waits for (see pendingFailoverWarning); null otherwise. */
  pendingFailoverWarning(): string | null {
    if (!this.topology.replicated) return null;
    const state = this.topology.state;
    const seen = this.monitor.snapshot();
    return pendingFailoverWarning({
      pending: state.pending,
      now: this.clock.now(),
      heartbeatIntervalMs: this.config.failover.heartbeatIntervalMs,
      running: this.runner.inProgress,
      primary: { key: state.primary, reachable: seen.primary?.key === state.primary ? seen.primary.reachable : null },
      maintenance: state.control.maintenance,
    });
  }

  private serverView(key: string, role: string, seen: ReturnType<FailoverMonitor['snapshot']>) {
    if (role === 'primary') {
      const primary = seen.primary?.key === key ? seen.primary : null;
      return {
        key,
        role,
        reachable: primary?.reachable ?? null,
        lastHeartbeatAt: primary?.lastHeartbeatAt ?? null,
        lastError: primary?.lastError ?? null,
        readOnly: primary?.heartbeat?.readOnly ?? null,
        gtidBinlogPosition: primary?.heartbeat?.gtidBinlogPosition ?? null,
        semiSyncActive: primary?.heartbeat?.semiSyncActive ?? null,
      };
    }
    if (role === 'fenced') {
      const fenced = this.fencer.view(key);
      return {
        key,
        role,
        reachable: fenced?.reachable ?? null,
        readOnly: fenced?.readOnly ?? null,
        lastFencedAt: fenced?.lastFencedAt ?? null,
        lastError: fenced?.lastError ?? null,
        // Why it is still fenced: errant GTIDs and the rows they touched, or the last failed rejoin.
        rejoin: this.rejoin.view(key),
      };
    }
    const standby = seen.standbys.find((s) => s.key === key);
    const status = standby?.status;
    return {
      key,
      role,
      reachable: standby?.reachable ?? null,
      lastSeenAt: standby?.lastSeenAt ?? null,
      lastError: standby?.lastError ?? null,
      replication: status
        ? {
            ioThread: status.ioRunning,
            sqlThread: status.sqlRunning,
            lagSeconds: status.secondsBehindMaster,
            gtidIoPosition: status.gtidIoPosition,
            gtidAppliedPosition: status.gtidSlavePosition,
            heartbeatPeriodSeconds: status.heartbeatPeriodSeconds,
            msSinceHeardPrimary: standby?.silenceMs ?? null,
            lastIoError: status.lastIoError || null,
            lastSqlError: status.lastSqlError || null,
          }
        : null,
    };
  }
}

/** Which hooks are configured (never their command lines, which may hold a token). */
function hooksView(config: AppConfig) {
  const hooks = config.failoverHooks;
  return {
    pre: hooks.pre !== null,
    post: hooks.post !== null,
    failed: hooks.failed !== null,
    timeoutMs: hooks.timeoutMs,
  };
}

/** The newest veto by FAILOVER_PRE_HOOK (the history keeps it), or null. */
function vetoView(record: FailoverRecord | undefined) {
  if (!record) return null;
  return {
    id: record.id,
    at: record.finishedAt,
    primary: record.oldPrimary,
    epoch: record.epoch,
    reason: record.error,
    hook: record.veto?.hook ?? null,
    exitCode: record.veto?.exitCode ?? null,
    signal: record.veto?.signal ?? null,
    timedOut: record.veto?.timedOut ?? null,
    output: record.veto?.output ?? null,
  };
}
