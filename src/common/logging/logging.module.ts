import { DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';

/** The process-wide pino logger, for the few services that must reach it directly. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

@Global()
@Module({})
export class LoggingModule {
  static forRoot(rootLogger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: ROOT_LOGGER, useValue: rootLogger }],
      exports: [ROOT_LOGGER],
    };
  }
}
