import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Length, Matches } from 'class-validator';
import { ToList } from '../../common/validation/query-transforms';
import { DELETE_IDS_MAX, ID_MAX, INSTANT_PATTERN } from './instance-fields';
import { INSTANT_MESSAGE } from './uncompleted.query';

export class DeleteInstancesQuery {
  @ApiPropertyOptional({ description: 'createTime >= from; used only together with to' })
  @IsOptional() @IsString() @Matches(INSTANT_PATTERN, { message: INSTANT_MESSAGE })
  from?: string;

  @ApiPropertyOptional({ description: 'createTime <= to; used only together with from' })
  @IsOptional() @IsString() @Matches(INSTANT_PATTERN, { message: INSTANT_MESSAGE })
  to?: string;

  @ApiPropertyOptional({ description: `instance ids, comma-separated, at most ${DELETE_IDS_MAX}` })
  @IsOptional() @ToList() @IsArray() @ArrayMaxSize(DELETE_IDS_MAX) @IsString({ each: true }) @Length(1, ID_MAX, { each: true })
  ids?: string[];
}

export class DeleteCompletedQuery {
  @ApiPropertyOptional({ description: 'only this logic; all completed instances when absent' })
  @IsOptional() @IsString() @Length(1, ID_MAX)
  logicId?: string;
}
