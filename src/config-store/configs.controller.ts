import { LocalOnly } from '../common/http/forwarded-answer';
import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Access, AccessScope } from '../common/auth/access-scope';
import { ConfigCache } from './cache/config-cache';
import { ConfigPublisher } from './config-publisher.service';
import { ConfigStoreService } from './config-store.service';
import { serialiseAnswer } from './answer-serialiser';
import { LogicIdParams, PublishConfigDto, SaveConfigFileDto } from './dto/config-dtos';
import { LogicIdPipe, ReadConfigOptions, ReadConfigQueryPipe } from './read-config.pipes';
import { DatabaseConfigHost } from './host/database-config-host';

@ApiTags('configs')
@Controller('api/v1/configs')
export class ConfigsController {
  constructor(
    private readonly store: ConfigStoreService,
    private readonly publisher: ConfigPublisher,
    private readonly cache: ConfigCache,
    private readonly database: DatabaseConfigHost,
  ) {}

  @Get('offline-ids')
  @ApiBearerAuth('admin')
  @Access(AccessScope.Admin)
  @ApiOperation({ summary: 'Logic ids that have a local file (what offline mode can serve)' })
  async offlineIds() {
    return { ids: await this.store.getOfflineLogicIds() };
  }

  @Get('cache/stats')
  @ApiBearerAuth('admin')
  @Access(AccessScope.Admin)
  @ApiOperation({ summary: 'Cache entries, hits and misses' })
  stats() {
    return this.cache.stats();
  }

  @Delete('cache')
  @LocalOnly()
  @ApiBearerAuth('admin')
  @Access(AccessScope.Admin)
  @ApiOperation({ summary: 'Clear the whole config cache' })
  async clear() {
    await this.cache.clear();
    return { cleared: true };
  }

  @Delete('cache/:logicId')
  @LocalOnly()
  @ApiBearerAuth('admin')
  @Access(AccessScope.Admin)
  @ApiOperation({ summary: "Evict one logic's entries: latest, offline, and every version this database knows" })
  async evict(@Param() params: LogicIdParams) {
    const evictedKeys = await this.store.evictLogic(params.logicId, () => this.database.knownVersions(params.logicId));
    return { evictedKeys };
  }

  @Get(':logicId')
  @Header('content-type', 'application/json; charset=utf-8')
  @ApiBearerAuth('runtime')
  @Access(AccessScope.Runtime)
  @ApiOperation({ summary: 'Read through cache -> host -> file (online) or cache -> file (offline); says the source' })
  @ApiParam({ name: 'logicId' })
  @ApiQuery({ name: 'version', required: false })
  @ApiQuery({ name: 'mode', required: false, enum: ['online', 'offline'] })
  async read(
    @Param('logicId', LogicIdPipe) logicId: string,
    @Query(ReadConfigQueryPipe) query: ReadConfigOptions,
  ): Promise<string> {
    return serialiseAnswer(await this.store.readLogicConfig(logicId, query.version, query.mode));
  }

  @Post(':logicId/publish')
  @HttpCode(201)
  @ApiBearerAuth('admin')
  @Access(AccessScope.Admin)
  @ApiOperation({
    summary: 'Publish a version: logic, logic_bak and logic_published in one transaction; evicts the cache',
  })
  publish(@Param() params: LogicIdParams, @Body() body: PublishConfigDto) {
    return this.publisher.publish(params.logicId, body);
  }

  @Put(':logicId/file')
  @ApiBearerAuth('admin')
  @Access(AccessScope.Admin)
  @ApiOperation({ summary: 'Save a config to the local file store (atomic, checksummed)' })
  saveFile(@Param() params: LogicIdParams, @Body() body: SaveConfigFileDto) {
    return this.store.saveLogicConfigToFile(params.logicId, body.config, body.version);
  }
}
