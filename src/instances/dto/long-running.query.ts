import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { PageQuery } from './page.query';

export class LongRunningQuery extends PageQuery {
  @ApiProperty({ description: 'running for longer than this many seconds', minimum: 0 })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10 * 365 * 24 * 3600)
  timeoutSeconds: number;
}
