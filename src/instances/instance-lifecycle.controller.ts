import { Body, Controller, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, AccessScope } from '../common/auth/access-scope';
import { InstanceKeyParams } from './dto/instance-key.params';
import { NextStepDto } from './dto/next-step.dto';
import { StartInstanceDto } from './dto/start-instance.dto';
import { StopInstanceDto } from './dto/stop-instance.dto';
import { InstanceLifecycleService } from './instance-lifecycle.service';
import { InstanceMetrics } from './instance.metrics';
import { InstanceService } from './instance.service';
import { instanceNotFound } from './instance.errors';

@ApiTags('instances (runtime)')
@ApiBearerAuth('runtime')
@Access(AccessScope.Runtime)
@Controller('api/v1/instances')
export class InstanceLifecycleController {
  constructor(
    private readonly lifecycle: InstanceLifecycleService,
    private readonly instances: InstanceService,
    private readonly metrics: InstanceMetrics,
  ) {}

  @Post('start')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark the instance running (created when the pair has none); emits instance.before-run' })
  start(@Body() body: StartInstanceDto) {
    return this.metrics.track('start', () => this.lifecycle.start(body));
  }

  @Post('stop')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record the outcome; emits instance.after-stop, then instance.biz-completed when over' })
  stop(@Body() body: StopInstanceDto) {
    return this.metrics.track('stop', () => this.lifecycle.stop(body));
  }

  @Put(':logicId/:bizId/next')
  @ApiOperation({ summary: 'updateInstanceNextId: set the next step and mark not over' })
  next(@Param() key: InstanceKeyParams, @Body() body: NextStepDto) {
    return this.metrics.track('next', async () => {
      const updated = await this.instances.updateInstanceNextId(key.logicId, key.bizId, body);
      if (updated === 0) throw instanceNotFound(key.logicId, key.bizId);
      return { updated };
    });
  }
}
