import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, Matches, MaxLength } from 'class-validator';

export class RejoinServerParams {
  @ApiProperty({ description: 'the fenced server, as host:port in the topology', example: '10.0.0.11:3306' })
  @MaxLength(270)
  @Matches(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'server must be host:port' })
  server: string;
}

export class RejoinDto {
  @ApiPropertyOptional({
    description:
      'false (default): rejoin by replication now (409 naming the GTIDs when it holds errant transactions). ' +
      'true: rebuild it from the newest backup the primary holds, then rejoin (202 with a job to poll)',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  reclone?: boolean;
}

export class RecloneJobParams {
  @Matches(/^reclone-\d{13}$/, { message: 'id must be a reclone job id such as reclone-1795745400000' })
  id: string;
}
