import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { BackupModule } from './backup/backup.module';
import { ClusterModule } from './cluster/cluster.module';
import { AuthModule } from './common/auth/auth.module';
import { EventsModule } from './common/events/events.module';
import { TimeModule } from './common/time/time.module';
import { LoggingModule } from './common/logging/logging.module';
import { MetricsRegistryModule } from './common/metrics/metrics.module';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/app-config.module';
import { ConfigStoreModule } from './config-store/config-store.module';
import { DatabaseModule, SchemaOnStart } from './database/database.module';
import { ENTITIES } from './entities';
import { FailoverModule } from './failover/failover.module';
import { HealthModule } from './health/health.module';
import { InstancesModule } from './instances/instances.module';
import { MetricsModule } from './metrics/metrics.module';
import { SystemModule } from './system/system.module';
import { WebhooksModule } from './webhooks';

export interface AppModuleOptions {
  /** False for one-off commands (the CLI): no cron schedules. */
  runSchedules?: boolean;
  /** What opening the database does to the schema; `migrate` (the service's) unless a CLI command says otherwise. */
  schemaOnStart?: SchemaOnStart;
}

/** Wires the feature modules, nothing else. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, rootLogger: Logger, options: AppModuleOptions = {}): DynamicModule {
    const runSchedules = options.runSchedules ?? true;
    // Created once and imported by Health too: the same dynamic module is one instance.
    const backup = BackupModule.forRoot({ runSchedules });
    // Failover's reclone rebuilds with backup's ReplicaRebuilder: handed the module here, as neither feature imports the other.
    const failover = FailoverModule.forRoot({ runMonitor: runSchedules, rebuilder: backup });
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggingModule.forRoot(rootLogger),
        TimeModule,
        EventsModule,
        MetricsRegistryModule,
        AuthModule,
        ClusterModule.forRoot(config, { run: runSchedules }),
        DatabaseModule.forRoot({ schemaOnStart: options.schemaOnStart ?? 'migrate', entities: ENTITIES }),
        ConfigStoreModule,
        HealthModule.forRoot([backup, failover]),
        SystemModule,
        InstancesModule.forRoot({ runSchedules }),
        backup,
        failover,
        MetricsModule,
        WebhooksModule.forRoot({ runWorker: runSchedules }),
      ],
    };
  }
}
