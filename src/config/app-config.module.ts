import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig } from './app-config';

/**
 * Makes the validated AppConfig injectable everywhere. Validation itself happens in
 * loadAppConfig() before Nest starts, so a bad value stops the process with one clean
 * message, and tests can pass their own environment without touching process.env.
 * @nestjs/config's ConfigService is registered over the same object for libraries that expect it.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          skipProcessEnv: true,
          validatePredefined: false,
          load: [() => ({ app: config })],
        }),
      ],
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig, ConfigModule],
    };
  }
}
