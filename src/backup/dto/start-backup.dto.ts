import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { BACKUP_TYPES, BackupType } from '../backup.types';

export class StartBackupDto {
  @ApiProperty({ enum: BACKUP_TYPES })
  @IsIn(BACKUP_TYPES)
  type: BackupType;

  @ApiPropertyOptional({ description: 'a label kept with the backup, e.g. before-risky-change', maxLength: 128 })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(/^[A-Za-z0-9._:-]+$/, { message: 'tag may hold letters, digits and . _ : - only' })
  tag?: string;
}
