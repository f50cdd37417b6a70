/** The failover feature's public face (see src/backup/index.ts). */
export { FailoverModule } from './failover.module';
export { FailoverIndicator } from './failover.indicator';
export { FailoverHistoryEntity } from './failover-history.entity';
