import { LeaderOnly } from '../cluster';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, AccessScope } from '../common/auth/access-scope';
import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { BackupErrorCode } from './backup.errors';
import { BackupMaintenanceService } from './backup-maintenance.service';
import { BackupRekeyService } from './backup-rekey';
import { BackupStatus } from './backup-status';
import { BackupVerifyService } from './backup-verify.service';
import { toBackupView } from './backup-view';
import { BackupService } from './backup.service';
import { BackupCatalogService } from './catalog/backup-catalog.service';
import { BackupIdParams, RestoreJobIdParams, TestRestoreJobIdParams } from './dto/backup-id.params';
import { ListBackupsQuery } from './dto/list-backups.query';
import { ExpireDto, RekeyDto, RestoreDto } from './dto/restore.dto';
import { StartBackupDto } from './dto/start-backup.dto';
import { RestoreJobsService } from './restore-jobs.service';
import { TestRestoreService } from './test-restore/test-restore.service';

@ApiTags('backups')
@ApiBearerAuth('admin')
@Access(AccessScope.Admin)
@Controller('api/v1/backups')
export class BackupController {
  constructor(
    private readonly backups: BackupService,
    private readonly catalog: BackupCatalogService,
    private readonly verifier: BackupVerifyService,
    private readonly restores: RestoreJobsService,
    private readonly maintenance: BackupMaintenanceService,
    private readonly rekeys: BackupRekeyService,
    private readonly testRestores: TestRestoreService,
    private readonly status: BackupStatus,
  ) {}

  @Post()
  @LeaderOnly()
  @HttpCode(202)
  @ApiOperation({ summary: 'Start a backup now (202 with its id); 409 names the running one' })
  start(@Body() body: StartBackupDto) {
    return this.backups.start({ type: body.type, tag: body.tag ?? null, triggeredBy: 'manual' });
  }

  @Get()
  @ApiOperation({ summary: 'The catalog, newest first' })
  async list(@Query() query: ListBackupsQuery) {
    const rows = await this.catalog.list({ state: query.state, type: query.type, limit: query.limit ?? 100 });
    return { items: rows.map((row) => toBackupView(row)) };
  }

  @Post('restore')
  @LeaderOnly()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Restore a chain into a target (202 with a restore job); dryRun plans and checks only (200)',
  })
  async restore(@Body() body: RestoreDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const request = {
      backupId: body.backupId,
      to: body.to,
      target: body.target,
      force: body.force,
      configsTo: body.configsTo,
    };
    if (!body.dryRun) return this.restores.start(request);
    void reply.status(200);
    return this.restores.dryRun(request);
  }

  @Get('restores/:id')
  // Jobs live in the leader's memory (the POST runs there): a follower forwards the poll.
  @LeaderOnly()
  @ApiOperation({ summary: 'A restore job: state, progress, row counts when done' })
  restoreJob(@Param() params: RestoreJobIdParams) {
    const view = this.restores.view(params.id);
    if (!view)
      throw new DomainError(
        BackupErrorCode.RestoreNotFound,
        ErrorKind.NotFound,
        `no restore job ${params.id} (jobs live in memory until restart)`,
      );
    return view;
  }

  @Get('test-restores/:id')
  // Jobs live in the leader's memory (the POST runs there): a follower forwards the poll.
  @LeaderOnly()
  @ApiOperation({ summary: 'A test restore job: state, progress, and the per-table comparison when done' })
  testRestoreJob(@Param() params: TestRestoreJobIdParams) {
    const view = this.testRestores.view(params.id);
    if (!view)
      throw new DomainError(
        BackupErrorCode.TestRestoreNotFound,
        ErrorKind.NotFound,
        `no test restore job ${params.id} (jobs live in memory until restart; the outcome is on the backup)`,
      );
    return view;
  }

  @Post('expire')
  @LeaderOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Apply retention (BACKUP_RETAIN_FULL); dryRun lists what would go' })
  expire(@Body() body: ExpireDto) {
    return this.maintenance.expire(body.dryRun ?? false);
  }

  @Post('rekey')
  // Reads and rewrites every manifest inside the request.
  @LeaderOnly({ longRunning: true })
  @HttpCode(200)
  @ApiOperation({
    summary: "Re-wrap every encrypted backup's data key with the first key of BACKUP_ENCRYPTION_KEYS (manifests only)",
  })
  rekey(@Body() body: RekeyDto) {
    return this.rekeys.rekey(body.dryRun ?? false);
  }

  @Post('catalog/rebuild')
  // Re-reads every file of every backup inside the request.
  @LeaderOnly({ longRunning: true })
  @HttpCode(200)
  @ApiOperation({ summary: 'Recreate the catalog from storage alone' })
  rebuild() {
    return this.maintenance.rebuildCatalog();
  }

  // Before ':id', which would take "status" for an id. Read-only and from the shared catalog: any node answers.
  @Get('status')
  @ApiOperation({
    summary:
      'Ages of the newest succeeded, verified and restore-verified backup, the running one, the encryption in use',
  })
  statusSummary() {
    return this.status.summary();
  }

  @Get(':id')
  @ApiOperation({ summary: 'One backup: state, and progress while it runs' })
  async get(@Param() params: BackupIdParams) {
    const view = await this.backups.view(params.id);
    if (!view)
      throw new DomainError(BackupErrorCode.NotFound, ErrorKind.NotFound, `no backup ${params.id} in the catalog`);
    return view;
  }

  @Post(':id/test-restore')
  @LeaderOnly()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Restore the chain into a scratch database and compare it with the fingerprints recorded at backup time (202 with a job to poll)',
  })
  testRestore(@Param() params: BackupIdParams) {
    return this.testRestores.start(params.id);
  }

  @Post(':id/verify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-read every file of the chain and check sha256 and links' })
  verify(@Param() params: BackupIdParams) {
    return this.verifier.verify(params.id);
  }
}
