import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { MaxUtf8Bytes } from '../../common/validation/max-utf8-bytes.validator';
import { ID_MAX, NEXT_NAME_MAX, TEXT_MAX_BYTES } from './instance-fields';

export class NextStepDto {
  @ApiPropertyOptional({ maxLength: ID_MAX })
  @IsOptional()
  @IsString()
  @Length(1, ID_MAX)
  nextId?: string;

  @ApiPropertyOptional({ maxLength: NEXT_NAME_MAX })
  @IsOptional()
  @IsString()
  @MaxLength(NEXT_NAME_MAX)
  nextName?: string;

  @ApiPropertyOptional({ description: 'variables at the end of the step, JSON text' })
  @IsOptional()
  @IsString()
  @MaxUtf8Bytes(TEXT_MAX_BYTES)
  varsJsonEnd?: string;
}
