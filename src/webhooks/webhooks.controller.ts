import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, AccessScope } from '../common/auth/access-scope';
import { EndpointIdParams, ListDeliveriesQuery } from './dto/webhook.dtos';
import { WebhookDeliveryLog } from './webhook-delivery-log.service';

@ApiTags('webhooks')
@ApiBearerAuth('admin')
@Access(AccessScope.Admin)
@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(private readonly log: WebhookDeliveryLog) {}

  @Get('deliveries')
  @ApiOperation({
    summary:
      'Webhook deliveries, newest first (filter by status, endpoint), and each endpoint: enabled, or disabled by 410',
  })
  deliveries(@Query() query: ListDeliveriesQuery) {
    return this.log.list({ status: query.status, endpoint: query.endpoint, limit: query.limit ?? 50 });
  }

  @Post('endpoints/:id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable an endpoint that answered 410 Gone again; what it missed is not resent' })
  enable(@Param() params: EndpointIdParams) {
    return this.log.enable(params.id);
  }
}
