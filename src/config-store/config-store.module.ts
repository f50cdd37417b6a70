import { CacheModule } from '@nestjs/cache-manager';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { cacheEvictionBusProvider } from './cache/cache-eviction-bus.factory';
import { ConfigCache } from './cache/config-cache';
import { createConfigCacheStore } from './cache/config-cache-store.factory';
import { CachedReadFastPath } from './cached-read.fast-path';
import { ConfigPublisher } from './config-publisher.service';
import { ConfigStoreIndicator } from './config-store.indicator';
import { ConfigStoreMetrics } from './config-store.metrics';
import { ConfigStoreService } from './config-store.service';
import { ConfigsController } from './configs.controller';
import { LogicBakEntity } from './entities/logic-bak.entity';
import { LogicPublishedEntity } from './entities/logic-published.entity';
import { LogicEntity } from './entities/logic.entity';
import { AtomicFileWriter } from './file/atomic-file-writer';
import { ConfigFileStore } from './file/config-file.store';
import { ConfigHost } from './host/config-host';
import { DatabaseConfigHost } from './host/database-config-host';
import { HttpConfigHost } from './host/http-config-host';
import { HostReachability } from './host-reachability';
import { IdeHostController } from './ide-host.controller';

@Module({
  imports: [
    TypeOrmModule.forFeature([LogicEntity, LogicBakEntity, LogicPublishedEntity]),
    CacheModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        stores: [createConfigCacheStore(config.configStore)],
        ttl: config.configStore.cacheTtlMs,
      }),
    }),
    TerminusModule,
  ],
  controllers: [ConfigsController, IdeHostController],
  providers: [
    ConfigCache,
    cacheEvictionBusProvider,
    ConfigFileStore,
    AtomicFileWriter,
    DatabaseConfigHost,
    HostReachability,
    ConfigStoreService,
    ConfigPublisher,
    ConfigStoreIndicator,
    ConfigStoreMetrics,
    CachedReadFastPath,
    {
      // CONFIG_HOST_URL set: an upstream over HTTP; empty: this node's own database is the host.
      provide: ConfigHost,
      inject: [AppConfig, DatabaseConfigHost],
      useFactory: (config: AppConfig, database: DatabaseConfigHost) =>
        config.configStore.hostUrl ? new HttpConfigHost(config.configStore) : database,
    },
  ],
  exports: [ConfigStoreService, ConfigPublisher, ConfigStoreIndicator],
})
export class ConfigStoreModule {}
