import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ConfigStoreModule } from '../config-store/config-store.module';
import { DiskSpaceIndicator } from './disk-space.indicator';
import { DiskSpaceProbe } from './disk-space.probe';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), ConfigStoreModule],
  controllers: [HealthController],
  providers: [HealthService, DiskSpaceIndicator, DiskSpaceProbe],
})
export class HealthModule {}
