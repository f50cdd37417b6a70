import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Length } from 'class-validator';
import { ToList } from '../../common/validation/query-transforms';
import { IsInstant } from '../../common/validation/is-instant.validator';
import { DELETE_IDS_MAX, ID_MAX } from './instance-fields';

export class DeleteInstancesQuery {
  @ApiPropertyOptional({ description: 'createTime >= from; used only together with to' })
  @IsOptional()
  @IsString()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'createTime <= to; used only together with from' })
  @IsOptional()
  @IsString()
  @IsInstant()
  to?: string;

  @ApiPropertyOptional({ description: `instance ids, comma-separated, at most ${DELETE_IDS_MAX}` })
  @IsOptional()
  @ToList()
  @IsArray()
  @ArrayMaxSize(DELETE_IDS_MAX)
  @IsString({ each: true })
  @Length(1, ID_MAX, { each: true })
  ids?: string[];
}

export class DeleteCompletedQuery {
  @ApiPropertyOptional({ description: 'only this logic; all completed instances when absent' })
  @IsOptional()
  @IsString()
  @Length(1, ID_MAX)
  logicId?: string;
}
