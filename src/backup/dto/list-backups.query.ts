import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { BACKUP_STATES, BACKUP_TYPES, BackupState, BackupType } from '../backup.types';

export class ListBackupsQuery {
  @ApiPropertyOptional({ enum: BACKUP_STATES })
  @IsOptional()
  @IsIn(BACKUP_STATES)
  state?: BackupState;

  @ApiPropertyOptional({ enum: BACKUP_TYPES })
  @IsOptional()
  @IsIn(BACKUP_TYPES)
  type?: BackupType;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
