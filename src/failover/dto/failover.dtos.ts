import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class AcknowledgeDto {
  @ApiPropertyOptional({ description: 'what the operator checked, kept in the log', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  note?: string;
}

export class MaintenanceDto {
  @ApiProperty({ description: 'true suspends automatic failover; fencing and monitoring go on' })
  @IsBoolean()
  enabled: boolean;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  reason?: string;
}

export class HistoryQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 50, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  limit?: number;
}

export class SwitchoverDto {
  @ApiPropertyOptional({
    description: 'the standby to promote, as host:port (default: the most advanced)',
    example: '10.0.0.12:3306',
  })
  @IsOptional()
  @IsString()
  @MaxLength(270)
  @Matches(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'target must be host:port' })
  target?: string;
}
