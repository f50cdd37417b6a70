import { LocalOnly } from '../common/http/forwarded-answer';
import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, AccessScope } from '../common/auth/access-scope';
import { SetLogLevelDto } from './dto/set-log-level.dto';
import { SystemService } from './system.service';

@ApiTags('system')
@ApiBearerAuth('admin')
@Access(AccessScope.Admin)
@Controller('api/v1/system')
export class SystemController {
  constructor(private readonly system: SystemService) {}

  @Get()
  @ApiOperation({ summary: 'Version, uptime, database type and schema migration status' })
  info() {
    return this.system.info();
  }

  @Put('log-level')
  @LocalOnly()
  @ApiOperation({ summary: 'Change the log level at run time' })
  setLogLevel(@Body() body: SetLogLevelDto) {
    return this.system.setLogLevel(body.level);
  }
}
