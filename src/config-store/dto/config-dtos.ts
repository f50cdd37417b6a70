import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { LOGIC_ID_PATTERN, VERSION_PATTERN } from '../logic-id';

const LOGIC_ID_MESSAGE =
  '$property must be 1 to 36 characters of A-Z, a-z, 0-9, ".", "_", "-", not starting with "." or "-"';
const VERSION_MESSAGE =
  '$property must be 1 to 50 characters of A-Z, a-z, 0-9, ".", "_", "-", not starting with "." or "-"';

export class LogicIdParams {
  @IsString()
  @Matches(LOGIC_ID_PATTERN, { message: LOGIC_ID_MESSAGE })
  logicId: string;
}

/** The compatible host API names its parameters `id` and `version`. */
export class HostConfigParams {
  @IsString()
  @Matches(LOGIC_ID_PATTERN, { message: LOGIC_ID_MESSAGE })
  id: string;

  @IsOptional()
  @IsString()
  @Matches(VERSION_PATTERN, { message: VERSION_MESSAGE })
  version?: string;
}

export class PublishConfigDto {
  @ApiProperty()
  @IsString()
  @Matches(VERSION_PATTERN, { message: VERSION_MESSAGE })
  version: string;

  @ApiPropertyOptional({ maxLength: 50 })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  name?: string;

  @ApiPropertyOptional({ maxLength: 50 })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  module?: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the logic config (JSON object)' })
  @IsObject()
  config: Record<string, unknown>;
}

export class SaveConfigFileDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(VERSION_PATTERN, { message: VERSION_MESSAGE })
  version?: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  @IsObject()
  config: Record<string, unknown>;
}
