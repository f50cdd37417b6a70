/** Schema upgrade and rollback, as the CLI drives them (see src/backup/index.ts). */
export { upgrade } from './upgrade';
export { planRevert, newestPreUpgradeBackup, restoreTargetOf, rollbackTo } from './rollback';
