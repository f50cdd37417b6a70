import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { LeaderOnly } from '../../cluster';
import { Access, AccessScope } from '../../common/auth/access-scope';
import { RecloneJobParams, RejoinDto, RejoinServerParams } from './rejoin.dtos';
import { RejoinService } from './rejoin.service';

@ApiTags('failover')
@ApiBearerAuth('admin')
@Access(AccessScope.Admin)
@Controller('api/v1/failover/rejoin')
export class RejoinController {
  constructor(private readonly rejoin: RejoinService) {}

  /**
   * reclone=false waits for the rejoin (it is bounded: the catch-up of a clean old primary,
   * at most a minute); reclone=true restores a whole backup, which can take far longer than
   * an HTTP client or proxy waits, so it answers 202 with a job to poll.
   */
  @Post(':server')
  @LeaderOnly({ longRunning: true })
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Rejoin a fenced server as a standby now (200), or rebuild it from the newest backup first (reclone: 202 with a job)',
  })
  async rejoinServer(
    @Param() params: RejoinServerParams,
    @Body() body: RejoinDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (!body.reclone) return this.rejoin.rejoinNow(params.server);
    void reply.status(202);
    return this.rejoin.startReclone(params.server);
  }

  @Get('jobs/:id')
  // Jobs live in the leader's memory (the POST runs there): a follower forwards the poll.
  @LeaderOnly()
  @ApiOperation({ summary: 'A reclone job: running, succeeded, failed (with why)' })
  job(@Param() params: RecloneJobParams) {
    return this.rejoin.job(params.id);
  }
}
