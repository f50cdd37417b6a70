import { DynamicModule, Logger, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { ReplicaRebuilder } from '../database/replication/replica-rebuilder';
import { DatabaseTopology } from '../database/topology/database-topology';
import { BackupController } from './backup.controller';
import { BackupStatus } from './backup-status';
import { BackupMetrics } from './backup.metrics';
import { BackupIndicator } from './backup.indicator';
import { BackupLock } from './backup-lock';
import { BackupMaintenanceService } from './backup-maintenance.service';
import { BackupRekeyService } from './backup-rekey';
import { BackupReader } from './backup-reader';
import { BackupScheduler, RUN_BACKUP_SCHEDULES } from './backup.scheduler';
import { BackupService } from './backup.service';
import { createBackupEngine, createBackupStorage, createRestoreService } from './backup-tools';
import { BackupVerifyService } from './backup-verify.service';
import { BackupCatalogService } from './catalog/backup-catalog.service';
import { BackupRecordEntity } from './catalog/backup-record.entity';
import { KeyRing } from './crypto/key-ring';
import { BackupEngine } from './engines/backup-engine';
import { InterruptedBackups } from './interrupted-backups';
import { ClientTools } from './process/client-tools';
import { ProcessRunner } from './process/process-runner';
import { PreChangeBackupService } from './pre-change-backup.service';
import { LogicalBackupRebuilder } from './replica-rebuild/logical-backup-rebuilder';
import { RestoreJobsService } from './restore-jobs.service';
import { RestoreService } from './restore.service';
import { BackupStorage } from './storage/backup-storage';
import { ScratchDatabases } from './test-restore/scratch-database';
import { resolveScratchTarget } from './test-restore/scratch-target';
import { SCRATCH_TARGET, TestRestoreService } from './test-restore/test-restore.service';
import { TestRestoreScheduler } from './test-restore/test-restore.scheduler';

@Module({})
export class BackupModule {
  static forRoot(options: { runSchedules: boolean }): DynamicModule {
    return {
      module: BackupModule,
      imports: [TypeOrmModule.forFeature([BackupRecordEntity]), ScheduleModule.forRoot(), TerminusModule],
      controllers: [BackupController],
      providers: [
        ProcessRunner,
        ClientTools,
        { provide: BackupStorage, inject: [AppConfig], useFactory: createBackupStorage },
        {
          provide: KeyRing,
          inject: [AppConfig],
          useFactory: (config: AppConfig) => {
            const keys = KeyRing.fromConfig(config.backup.encryption);
            // At startup, what backups will be written with: ids only, never key bytes.
            new Logger('Backup').log({
              msg: 'backup encryption',
              cipher: keys.cipher,
              currentKeyId: keys.encrypting ? keys.currentKeyId : null,
              keyIds: keys.keyIds,
            });
            return keys;
          },
        },
        {
          provide: BackupReader,
          inject: [BackupStorage, KeyRing],
          useFactory: (storage: BackupStorage, keys: KeyRing) => new BackupReader(storage, keys),
        },
        {
          provide: BackupLock,
          inject: [AppConfig],
          useFactory: (config: AppConfig) => new BackupLock(config.backup.directory),
        },
        {
          provide: BackupEngine,
          inject: [AppConfig, ProcessRunner, ClientTools, DatabaseTopology],
          useFactory: createBackupEngine,
        },
        {
          provide: RestoreService,
          inject: [AppConfig, BackupReader, ProcessRunner, ClientTools],
          useFactory: createRestoreService,
        },
        { provide: RUN_BACKUP_SCHEDULES, useValue: options.runSchedules },
        BackupCatalogService,
        BackupService,
        InterruptedBackups,
        BackupVerifyService,
        BackupMaintenanceService,
        BackupRekeyService,
        PreChangeBackupService,
        RestoreJobsService,
        ScratchDatabases,
        {
          provide: SCRATCH_TARGET,
          inject: [AppConfig, DatabaseTopology],
          useFactory: (config: AppConfig, topology: DatabaseTopology) => () => resolveScratchTarget(config, topology),
        },
        TestRestoreService,
        TestRestoreScheduler,
        BackupScheduler,
        BackupStatus,
        BackupMetrics,
        BackupIndicator,
        // Failover's reclone rebuilds a fenced server through this port; the app's wiring hands failover this module.
        { provide: ReplicaRebuilder, useClass: LogicalBackupRebuilder },
      ],
      exports: [
        BackupService,
        BackupCatalogService,
        BackupVerifyService,
        BackupMaintenanceService,
        PreChangeBackupService,
        BackupStatus,
        BackupIndicator,
        BackupReader,
        RestoreService,
        BackupScheduler,
        TestRestoreService,
        TestRestoreScheduler,
        ReplicaRebuilder,
      ],
    };
  }
}
