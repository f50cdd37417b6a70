import { Controller, Get, Header, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, AccessScope } from '../common/auth/access-scope';
import { HostConfigParams } from './dto/config-dtos';
import { DatabaseConfigHost } from './host/database-config-host';

/**
 * logic-solution's config host contract, so an unmodified runtime can use logic-ha as its
 * IDE_HOST: `{ "data": <config> }`, `data: null` when there is none (still HTTP 200, as the
 * runtime expects). The stored JSON is sent as stored, not re-serialised.
 */
@ApiTags('config host (logic-solution compatible)')
@ApiBearerAuth('runtime')
@Access(AccessScope.Runtime)
@Controller('api/ide/logic')
export class IdeHostController {
  constructor(private readonly database: DatabaseConfigHost) {}

  @Get(':id/config')
  @Header('content-type', 'application/json; charset=utf-8')
  @ApiOperation({ summary: 'The latest config of a logic (from `logic`)' })
  latest(@Param() params: HostConfigParams): Promise<string> {
    return this.answer(params.id);
  }

  @Get(':id/config/:version')
  @Header('content-type', 'application/json; charset=utf-8')
  @ApiOperation({ summary: 'One published version of a logic (from `logic_bak`)' })
  version(@Param() params: HostConfigParams): Promise<string> {
    return this.answer(params.id, params.version);
  }

  private async answer(id: string, version?: string): Promise<string> {
    const json = await this.database.storedJson(id, version);
    return `{"data":${json ?? 'null'}}`;
  }
}
