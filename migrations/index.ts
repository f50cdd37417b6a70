import { CreatedBaselineSchema1590969600000 } from './1590969600000-CreatedBaselineSchema';
import { AddedInstanceCreateTimeAndRetryTimes1600000000000 } from './1600000000000-AddedInstanceCreateTimeAndRetryTimes';
import { AddedInstanceIsAsyncAndLogicBakVersionIndex1610000000000 } from './1610000000000-AddedInstanceIsAsyncAndLogicBakVersionIndex';
import { AddedInstanceBizIdParentServerTimeIndex1620000000000 } from './1620000000000-AddedInstanceBizIdParentServerTimeIndex';
import { AddedInstanceQueryIndexes1764201600000 } from './1764201600000-AddedInstanceQueryIndexes';
import { AddedBackupCatalog1764288000000 } from './1764288000000-AddedBackupCatalog';
import { AddedFailoverHistory1764374400000 } from './1764374400000-AddedFailoverHistory';
import { AlignedLogicSolutionDefaults1764460800000 } from './1764460800000-AlignedLogicSolutionDefaults';
import { AddedEpochMarker1764547200000 } from './1764547200000-AddedEpochMarker';
import { AddedBackupRestoreCheck1764720000000 } from './1764720000000-AddedBackupRestoreCheck';
import { AddedWebhookDeliveries1764806400000 } from './1764806400000-AddedWebhookDeliveries';

/**
 * Every migration, oldest first. Each names the schema it leaves: a logic-solution
 * version ('0.6.2' ... '0.8') or a logic-ha revision on top of it ('ha-1', ...). Listed explicitly rather than globbed so the same list
 * works from ts-jest, from dist/, and from the TypeORM CLI.
 */
export const MIGRATIONS = [
  CreatedBaselineSchema1590969600000,
  AddedInstanceCreateTimeAndRetryTimes1600000000000,
  AddedInstanceIsAsyncAndLogicBakVersionIndex1610000000000,
  AddedInstanceBizIdParentServerTimeIndex1620000000000,
  AddedInstanceQueryIndexes1764201600000,
  AddedBackupCatalog1764288000000,
  AddedFailoverHistory1764374400000,
  AlignedLogicSolutionDefaults1764460800000,
  AddedEpochMarker1764547200000,
  AddedBackupRestoreCheck1764720000000,
  AddedWebhookDeliveries1764806400000,
];
