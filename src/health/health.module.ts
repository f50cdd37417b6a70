import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ConfigStoreModule } from '../config-store';
import { DiskSpaceIndicator } from './disk-space.indicator';
import { DiskSpaceProbe } from './disk-space.probe';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

/**
 * Readiness gathers the indicators the features export. Backup and failover are configured
 * by the app's wiring (schedules on or off), so it hands Health the very modules it built
 * rather than Health guessing their options or the features being global.
 */
@Module({})
export class HealthModule {
  static forRoot(featureModules: DynamicModule[]): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), ConfigStoreModule, ...featureModules],
      controllers: [HealthController],
      providers: [HealthService, DiskSpaceIndicator, DiskSpaceProbe],
    };
  }
}
