import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length } from 'class-validator';
import { ID_MAX } from './instance-fields';
import { NextStepDto } from './next-step.dto';

export class StopInstanceDto extends NextStepDto {
  @ApiProperty({ maxLength: ID_MAX })
  @IsString()
  @Length(1, ID_MAX)
  logicId: string;

  @ApiProperty({ maxLength: ID_MAX })
  @IsString()
  @Length(1, ID_MAX)
  bizId: string;

  @ApiProperty()
  @IsBoolean()
  success: boolean;

  @ApiProperty({ description: 'true when the business instance is complete' })
  @IsBoolean()
  isOver: boolean;

  @ApiPropertyOptional({ description: 'stored as longtext; bounded by BODY_LIMIT_BYTES' })
  @IsOptional()
  @IsString()
  returnData?: string;

  @ApiPropertyOptional({ description: 'cut to 255 characters' })
  @IsOptional()
  @IsString()
  message?: string;
}
