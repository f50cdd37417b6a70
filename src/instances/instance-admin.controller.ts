import { LeaderOnly } from '../cluster';
import { Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Access, AccessScope } from '../common/auth/access-scope';
import { parseUtcInstant } from '../common/validation/query-transforms';
import { DeleteCompletedQuery, DeleteInstancesQuery } from './dto/delete-instances.query';
import { InstanceKeyParams } from './dto/instance-key.params';
import { JobParams } from './dto/job.params';
import { LongRunningQuery } from './dto/long-running.query';
import { UncompletedQuery } from './dto/uncompleted.query';
import { InstanceService } from './instance.service';
import { instanceNotFound } from './instance.errors';
import { INSTANCE_JOB_NAMES } from './jobs/instance-job';
import { InstanceJobsService } from './jobs/instance-jobs.service';

const instant = (value?: string) => (value === undefined ? undefined : parseUtcInstant(value));

@ApiTags('instances (admin)')
@ApiBearerAuth('admin')
@Access(AccessScope.Admin)
@Controller('api/v1/instances')
export class InstanceAdminController {
  constructor(
    private readonly instances: InstanceService,
    private readonly jobs: InstanceJobsService,
  ) {}

  @Get('long-running')
  @ApiOperation({ summary: 'Running instances started more than timeoutSeconds ago, oldest first, paged' })
  longRunning(@Query() query: LongRunningQuery) {
    return this.instances.queryLongtimeRunningBiz(query.timeoutSeconds, { limit: query.limit, cursor: query.cursor });
  }

  @Get('uncompleted')
  @ApiOperation({ summary: 'queryUncompletedBizExclude: not over, filtered by what is given, by createTime, paged' })
  uncompleted(@Query() query: UncompletedQuery) {
    return this.instances.queryUncompletedBizExclude(
      {
        from: instant(query.from),
        to: instant(query.to),
        isRunning: query.isRunning,
        isSuccess: query.isSuccess,
        maxRetryTimes: query.maxRetryTimes,
        excludeLogicIds: query.excludeLogicIds,
      },
      { limit: query.limit, cursor: query.cursor },
    );
  }

  @Get(':logicId/:bizId')
  @ApiOperation({ summary: 'getInstance: the newest instance of the pair by serverTime' })
  async get(@Param() key: InstanceKeyParams) {
    const instance = await this.instances.getInstance(key.logicId, key.bizId);
    if (!instance) throw instanceNotFound(key.logicId, key.bizId);
    return instance;
  }

  @Delete('completed')
  @ApiOperation({ summary: 'Delete completed instances (of one logic when logicId is given), in batches' })
  async deleteCompleted(@Query() query: DeleteCompletedQuery) {
    const deleted = query.logicId
      ? await this.instances.deleteCompletedBizInstanceByLogicId(query.logicId)
      : await this.instances.deleteCompletedBizInstance();
    return { deleted };
  }

  @Delete()
  @ApiOperation({ summary: 'deleteBiz: by createTime range (from and to) and/or ids; refused without either' })
  async delete(@Query() query: DeleteInstancesQuery) {
    const deleted = await this.instances.deleteBiz({
      from: instant(query.from),
      to: instant(query.to),
      ids: query.ids,
    });
    return { deleted };
  }

  @Post('jobs/:job/run')
  // A job deletes or scans in batches inside the request: it may take minutes on a large table.
  @LeaderOnly({ longRunning: true })
  @ApiOperation({ summary: 'Run a recovery job once now and report what it did' })
  @ApiParam({ name: 'job', enum: INSTANCE_JOB_NAMES })
  runJob(@Param() params: JobParams) {
    return this.jobs.run(params.job, 'manual');
  }
}
