import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { MaxUtf8Bytes } from '../../common/validation/max-utf8-bytes.validator';
import { ENV_MAX, ID_MAX, TEXT_MAX_BYTES, VERSION_MAX } from './instance-fields';

export class StartInstanceDto {
  @ApiProperty({ maxLength: ID_MAX })
  @IsString()
  @Length(1, ID_MAX)
  logicId: string;

  @ApiProperty({ maxLength: ID_MAX })
  @IsString()
  @Length(1, ID_MAX)
  bizId: string;

  @ApiPropertyOptional({ maxLength: VERSION_MAX })
  @IsOptional()
  @IsString()
  @Length(1, VERSION_MAX)
  version?: string;

  @ApiPropertyOptional({ description: 'the run parameters, JSON text' })
  @IsOptional()
  @IsString()
  @MaxUtf8Bytes(TEXT_MAX_BYTES)
  paramsJson?: string;

  @ApiPropertyOptional({ maxLength: ID_MAX })
  @IsOptional()
  @IsString()
  @Length(1, ID_MAX)
  parentLogicId?: string;

  @ApiPropertyOptional({ maxLength: ID_MAX })
  @IsOptional()
  @IsString()
  @Length(1, ID_MAX)
  parentBizId?: string;

  @ApiPropertyOptional({ maxLength: ENV_MAX })
  @IsOptional()
  @IsString()
  @Length(1, ENV_MAX)
  env?: string;
}
