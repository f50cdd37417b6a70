import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { LOG_LEVELS } from '../../config/environment.schema';
import type { LogLevel } from '../../config/app-config';

export class SetLogLevelDto {
  @ApiProperty({ enum: LOG_LEVELS })
  @IsIn(LOG_LEVELS)
  level: LogLevel;
}
