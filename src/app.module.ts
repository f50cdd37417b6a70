import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AuthModule } from './common/auth/auth.module';
import { LoggingModule } from './common/logging/logging.module';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/app-config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { SystemModule } from './system/system.module';

/** Wires the feature modules, nothing else. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, rootLogger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggingModule.forRoot(rootLogger),
        AuthModule,
        DatabaseModule,
        HealthModule,
        SystemModule,
      ],
    };
  }
}
