import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../webhook-delivery.entity';

const ENDPOINT_ID = /^[0-9a-f]{16}$/;
const ENDPOINT_ID_MESSAGE = '$property must be an endpoint id: 16 lower-case hex digits, as the delivery log shows it';

export class ListDeliveriesQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;

  @ApiPropertyOptional({ description: "an endpoint's id (see `endpoints` in the answer)", example: '3f2a9c1be07d4a55' })
  @IsOptional()
  @Matches(ENDPOINT_ID, { message: ENDPOINT_ID_MESSAGE })
  endpoint?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class EndpointIdParams {
  @Matches(ENDPOINT_ID, { message: ENDPOINT_ID_MESSAGE })
  id: string;
}
