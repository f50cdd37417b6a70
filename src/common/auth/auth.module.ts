import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AppConfig } from '../../config/app-config';
import { SecretFileStore } from '../fs/secret-file.store';
import { type TokenAnnouncer, consoleTokenAnnouncer, resolveAdminToken } from './admin-token.resolver';
import { AuthGuard } from './auth.guard';
import { AuthTokens } from './auth-tokens';

export const TOKEN_ANNOUNCER = Symbol('TOKEN_ANNOUNCER');

@Global()
@Module({
  providers: [
    SecretFileStore,
    { provide: TOKEN_ANNOUNCER, useValue: consoleTokenAnnouncer },
    {
      provide: AuthTokens,
      inject: [AppConfig, SecretFileStore, TOKEN_ANNOUNCER],
      useFactory: async (
        config: AppConfig,
        files: SecretFileStore,
        announcer: TokenAnnouncer,
      ): Promise<AuthTokens> => ({
        adminToken: await resolveAdminToken(config, files, announcer),
        runtimeToken: config.auth.runtimeToken,
        runtimeAccess: config.auth.runtimeAccess,
      }),
    },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AuthTokens, SecretFileStore],
})
export class AuthModule {}
