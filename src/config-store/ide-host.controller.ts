import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Access, AccessScope } from '../common/auth/access-scope';
import { HostConfigParams } from './dto/config-dtos';
import { LOGIC_VERSION_HEADER } from './host/config-host';
import { DatabaseConfigHost } from './host/database-config-host';

/**
 * logic-solution's config host contract, so an unmodified runtime can use logic-ha as its
 * IDE_HOST: `{ "data": <config> }`, `data: null` when there is none (still HTTP 200, as the
 * runtime expects). The stored JSON is sent as stored, not re-serialised, and not
 * normalised (no `id` added): that is the runtime's job, as with logic-solution's own
 * host. The row's version goes in an `X-Logic-Version` header, which a runtime ignores
 * and a logic-ha reading through this node uses.
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
  latest(@Param() params: HostConfigParams, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    return this.answer(reply, params.id);
  }

  @Get(':id/config/:version')
  @Header('content-type', 'application/json; charset=utf-8')
  @ApiOperation({ summary: 'One published version of a logic (from `logic_bak`)' })
  version(@Param() params: HostConfigParams, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    return this.answer(reply, params.id, params.version);
  }

  private async answer(reply: FastifyReply, id: string, version?: string): Promise<string> {
    const stored = await this.database.stored(id, version);
    if (stored?.version) void reply.header(LOGIC_VERSION_HEADER, stored.version);
    return `{"data":${stored?.json ?? 'null'}}`;
  }
}
