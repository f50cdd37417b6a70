import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { BACKUP_ID_PATTERN } from '../backup-id';

export class RestoreDto {
  @ApiProperty({ example: '20261127-030000-000I', description: 'the newest backup of the chain to apply' })
  @Matches(BACKUP_ID_PATTERN, { message: 'backupId must be a backup id such as 20261127-020000-000F' })
  backupId: string;

  @ApiProperty({ description: 'mysql://user:password@host:port/database, or an absolute SQLite file path' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  target: string;

  @ApiPropertyOptional({ description: 'ISO-8601 time with a zone, or a GTID position; default: the chain end' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  to?: string;

  @ApiPropertyOptional({ description: 'replace a non-empty target' })
  @IsOptional()
  @IsBoolean()
  force?: boolean;

  @ApiPropertyOptional({ description: 'only plan and check the target' })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({ description: 'absolute directory to extract the backed-up config files into' })
  @IsOptional()
  @IsString()
  @Matches(/^\//, { message: 'configsTo must be an absolute path' })
  @MaxLength(1024)
  configsTo?: string;
}

export class RekeyDto {
  @ApiPropertyOptional({ description: 'list what would be re-wrapped without writing any manifest' })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export class ExpireDto {
  @ApiPropertyOptional({ description: 'list what would go without removing anything' })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}
