import { LeaderOnly } from '../cluster';
import { Body, Controller, Get, HttpCode, MessageEvent, Post, Put, Query, Sse } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Observable } from 'rxjs';
import { Access, AccessScope } from '../common/auth/access-scope';
import { AcknowledgeDto, HistoryQuery, MaintenanceDto, SwitchoverDto } from './dto/failover.dtos';
import { EventStreamService } from './event-stream.service';
import { FailoverControlService } from './failover-control.service';
import { FailoverHistoryService } from './failover-history.service';
import { FailoverRunner } from './failover-runner';
import { FailoverStatusService } from './failover-status.service';

@ApiTags('failover')
@ApiBearerAuth('admin')
@Access(AccessScope.Admin)
@Controller('api/v1')
export class FailoverController {
  constructor(
    private readonly status: FailoverStatusService,
    private readonly control: FailoverControlService,
    private readonly history: FailoverHistoryService,
    private readonly stream: EventStreamService,
    private readonly runner: FailoverRunner,
  ) {}

  @Get('failover/status')
  @ApiOperation({ summary: 'Topology, reachability, replication lag, epoch, cooldown and maintenance' })
  getStatus() {
    return this.status.status();
  }

  @Post('failover/ack')
  @LeaderOnly()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Acknowledge the last failover: ends the cooldown, re-enables automatic failover after a failure',
  })
  acknowledge(@Body() body: AcknowledgeDto) {
    return this.control.acknowledge(body.note);
  }

  @Put('failover/maintenance')
  @LeaderOnly()
  @ApiOperation({ summary: 'Suspend (enabled: true) or resume automatic failover' })
  maintenance(@Body() body: MaintenanceDto) {
    return this.control.setMaintenance(body.enabled, body.reason);
  }

  @Post('failover/switchover')
  @LeaderOnly()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Planned switchover to a standby (default: the most advanced); answers with the record, steps and outcome',
  })
  switchover(@Body() body: SwitchoverDto) {
    return this.runner.switchover(body.target);
  }

  @Get('failover/history')
  @ApiOperation({ summary: 'The newest failovers and switchovers with their steps (from the topology file)' })
  async listHistory(@Query() query: HistoryQuery) {
    return { items: await this.history.list(query.limit ?? 20) };
  }

  @Sse('events')
  @ApiOperation({ summary: 'Server-sent events: topology first, then db.* failover events with epoch and primary' })
  events(): Observable<MessageEvent> {
    return this.stream.stream();
  }
}
