import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { AppAccountCheck } from './app-account.check';
import { AppPool } from './app-pool';
import { ClusterMarker } from './cluster-marker';
import { AutomaticFailover } from './automatic-failover';
import { EventStreamService } from './event-stream.service';
import { FailoverControlService } from './failover-control.service';
import { FailoverHistoryEntity } from './failover-history.entity';
import { FailoverHistoryService } from './failover-history.service';
import { FailoverMonitor, RUN_FAILOVER_MONITOR } from './failover-monitor.service';
import { FailoverRunner } from './failover-runner';
import { FailoverStatusService } from './failover-status.service';
import { FailoverController } from './failover.controller';
import { FailoverIndicator } from './failover.indicator';
import { FailoverMetrics } from './failover.metrics';
import { FailoverOperationsMetrics } from './failover-operations.metrics';
import { Fencer } from './fencer';
import { AcknowledgedPosition } from './guard/acknowledged-position';
import { ZeroLossGuard } from './guard/zero-loss-guard';
import { ReplicaConfigurer } from './replicas/replica-configurer';
import { StandbyHealth } from './standby-health/standby-health';
import { SwitchoverProcedure } from './switchover.procedure';
import { TopologyChange } from './topology-change';
import { TopologyFollower } from './topology-follower';
import { MysqlServerProbe } from './probes/mysql-server-probe';
import { ServerProbe } from './probes/server-probe';
import { Promoter } from './promotion/promoter';
import { CommandRunner, FailoverHooks, PostFailoverHooks, PreFailoverGate, ShellCommandRunner } from './hooks';
import { ErrantChangeReader, MariadbBinlogChangeReader } from './rejoin/errant-change-reader';
import { MysqlRejoinProbe } from './rejoin/mysql-rejoin-probe';
import { RejoinProbe } from './rejoin/rejoin-probe';
import { RejoinController } from './rejoin/rejoin.controller';
import { RejoinProcedure } from './rejoin/rejoin.procedure';
import { RejoinService } from './rejoin/rejoin.service';

export interface FailoverModuleOptions {
  runMonitor: boolean;
  /**
   * The module that provides and exports ReplicaRebuilder (src/database/replication), which a
   * reclone rebuilds with: the app's wiring hands in BackupModule, so failover never imports backup.
   */
  rebuilder: DynamicModule;
}

@Module({})
export class FailoverModule {
  static forRoot(options: FailoverModuleOptions): DynamicModule {
    return {
      module: FailoverModule,
      imports: [TypeOrmModule.forFeature([FailoverHistoryEntity]), TerminusModule, options.rebuilder],
      controllers: [FailoverController, RejoinController],
      providers: [
        { provide: ServerProbe, inject: [AppConfig], useFactory: (config: AppConfig) => new MysqlServerProbe(config) },
        { provide: RUN_FAILOVER_MONITOR, useValue: options.runMonitor },
        {
          provide: Promoter,
          inject: [ServerProbe, AppConfig],
          useFactory: (probe: ServerProbe, config: AppConfig) => new Promoter(probe, config.failover.applyTimeoutMs),
        },
        { provide: CommandRunner, useFactory: () => new ShellCommandRunner() },
        FailoverHooks,
        PreFailoverGate,
        PostFailoverHooks,
        AppPool,
        AutomaticFailover,
        AcknowledgedPosition,
        ZeroLossGuard,
        ReplicaConfigurer,
        FailoverHistoryService,
        TopologyChange,
        SwitchoverProcedure,
        FailoverRunner,
        Fencer,
        StandbyHealth,
        FailoverMonitor,
        TopologyFollower,
        ClusterMarker,
        FailoverControlService,
        AppAccountCheck,
        FailoverStatusService,
        EventStreamService,
        FailoverIndicator,
        // Rejoin of fenced servers (src/failover/rejoin).
        { provide: RejoinProbe, useClass: MysqlRejoinProbe },
        { provide: ErrantChangeReader, useClass: MariadbBinlogChangeReader },
        RejoinProcedure,
        RejoinService,
        FailoverMetrics,
        FailoverOperationsMetrics,
      ],
      exports: [FailoverIndicator],
    };
  }
}
