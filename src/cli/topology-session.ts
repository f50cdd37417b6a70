import { DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClusterModule } from '../cluster';
import { EventsModule } from '../common/events/events.module';
import { MetricsRegistryModule } from '../common/metrics/metrics.module';
import { TimeModule } from '../common/time/time.module';
import type { AppConfig } from '../config/app-config';
import { AppConfigModule } from '../config/app-config.module';
import { DatabaseTopology } from '../database/topology/database-topology';
import { DatabaseTopologyModule } from '../database/topology/database-topology.module';
import { TopologyFile } from '../database/topology/topology-file';
import { CliNestLogger, cliLogger } from './cli-logger';

/** The least of the app a command needs to know which server is primary: config, clock, topology (and etcd in cluster mode). */
@Module({})
class CliTopologyModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliTopologyModule,
      // Cluster mode: the topology is read from etcd (no lease, no campaign).
      imports: [
        AppConfigModule.forRoot(config),
        TimeModule,
        EventsModule,
        // The cluster module defines its metrics; a command never serves them.
        MetricsRegistryModule,
        ClusterModule.forRoot(config, { run: false }),
        DatabaseTopologyModule,
      ],
    };
  }
}

/**
 * Runs `work` with the topology as the service's container builds it (the same providers,
 * the same wiring), for the commands that must work with every database down and so
 * cannot start the whole app.
 */
export async function withTopology<T>(
  config: AppConfig,
  work: (topology: DatabaseTopology, file: TopologyFile, context: INestApplicationContext) => T | Promise<T>,
): Promise<T> {
  // The context's logger becomes Nest's global one and outlives the context: it must be the CLI's own (stderr),
  // or the topology's warnings and every later log line of the command are lost.
  const context = await NestFactory.createApplicationContext(CliTopologyModule.forRoot(config), {
    logger: new CliNestLogger(cliLogger(config)),
    abortOnError: false,
  });
  try {
    const topology = context.get(DatabaseTopology);
    await topology.ready();
    return await work(topology, context.get(TopologyFile), context);
  } finally {
    await context.close();
  }
}
