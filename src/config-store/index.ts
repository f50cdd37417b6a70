/** The config store's public face (see src/backup/index.ts). */
export { ConfigStoreModule } from './config-store.module';
export { ConfigStoreIndicator } from './config-store.indicator';
export { LogicEntity } from './entities/logic.entity';
export { LogicBakEntity } from './entities/logic-bak.entity';
export { LogicPublishedEntity } from './entities/logic-published.entity';
