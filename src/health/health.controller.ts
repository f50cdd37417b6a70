import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, AccessScope } from '../common/auth/access-scope';
import { HealthService } from './health.service';

@ApiTags('health')
@Access(AccessScope.Open)
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers; no I/O' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: database, disk space of DATA_DIR, heap; 503 when any is down' })
  ready() {
    return this.health.ready();
  }
}
