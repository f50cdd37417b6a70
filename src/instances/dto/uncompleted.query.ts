import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { ToBoolean, ToList } from '../../common/validation/query-transforms';
import { IsInstant } from '../../common/validation/is-instant.validator';
import { EXCLUDE_MAX, ID_MAX } from './instance-fields';
import { PageQuery } from './page.query';

export class UncompletedQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'createTime >= from (inclusive)', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsString()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'createTime <= to (inclusive)' })
  @IsOptional()
  @IsString()
  @IsInstant()
  to?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  isRunning?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  isSuccess?: boolean;

  @ApiPropertyOptional({ minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  maxRetryTimes?: number;

  @ApiPropertyOptional({ description: `comma-separated, at most ${EXCLUDE_MAX}` })
  @IsOptional()
  @ToList()
  @IsArray()
  @ArrayMaxSize(EXCLUDE_MAX)
  @IsString({ each: true })
  @Length(1, ID_MAX, { each: true })
  excludeLogicIds?: string[];
}
