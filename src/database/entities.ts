import { BackupRecordEntity } from '../backup/catalog/backup-record.entity';
import { FailoverHistoryEntity } from '../failover/failover-history.entity';
import { LogicBakEntity } from '../config-store/entities/logic-bak.entity';
import { LogicPublishedEntity } from '../config-store/entities/logic-published.entity';
import { LogicEntity } from '../config-store/entities/logic.entity';
import { LogicInstanceEntity } from '../instances/entities/logic-instance.entity';
import { LogicLogEntity } from '../instances/entities/logic-log.entity';

/** The five logic-solution tables and logic-ha's own. Entities live with their feature; the data source needs them all. */
export const ENTITIES = [LogicEntity, LogicBakEntity, LogicPublishedEntity, LogicInstanceEntity, LogicLogEntity, BackupRecordEntity, FailoverHistoryEntity];
