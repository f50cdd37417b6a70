import { BackupRecordEntity } from './backup';
import { LogicBakEntity, LogicEntity, LogicPublishedEntity } from './config-store';
import { FailoverHistoryEntity } from './failover';
import { LogicInstanceEntity, LogicLogEntity } from './instances';
import { WebhookDeliveryEntity, WebhookEndpointEntity } from './webhooks';

/**
 * The five logic-solution tables and logic-ha's own. Entities live with their feature; the
 * top-level wiring (AppModule, the CLI's database session) hands this list down to the
 * database layer, which knows no feature.
 */
export const ENTITIES = [
  LogicEntity,
  LogicBakEntity,
  LogicPublishedEntity,
  LogicInstanceEntity,
  LogicLogEntity,
  BackupRecordEntity,
  FailoverHistoryEntity,
  WebhookDeliveryEntity,
  WebhookEndpointEntity,
];
