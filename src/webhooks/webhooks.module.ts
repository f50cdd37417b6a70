import { hostname } from 'node:os';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { WebhookDeliveryLog } from './webhook-delivery-log.service';
import { WebhookDeliveryStore } from './webhook-delivery.store';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookDispatcher, WebhookNodeId } from './webhook-dispatcher';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';
import { WebhookOutbox } from './webhook-outbox.service';
import { FetchWebhookSender, IntervalWebhookTimer, WebhookSender, WebhookTimer } from './webhook-ports';
import { RUN_WEBHOOK_WORKER, WebhookWorker } from './webhook-worker.service';
import { WebhookMetrics } from './webhook.metrics';
import { WebhooksController } from './webhooks.controller';

/** Standard Webhooks: events recorded as delivery rows, sent with retries, listed for admins (docs/webhooks.md). */
@Module({})
export class WebhooksModule {
  static forRoot(options: { runWorker: boolean }): DynamicModule {
    return {
      module: WebhooksModule,
      imports: [TypeOrmModule.forFeature([WebhookDeliveryEntity, WebhookEndpointEntity])],
      controllers: [WebhooksController],
      providers: [
        { provide: RUN_WEBHOOK_WORKER, useValue: options.runWorker },
        { provide: WebhookSender, useClass: FetchWebhookSender },
        { provide: WebhookTimer, useClass: IntervalWebhookTimer },
        {
          provide: WebhookNodeId,
          inject: [AppConfig],
          useFactory: (config: AppConfig): WebhookNodeId => ({ value: config.cluster?.nodeId ?? hostname() }),
        },
        WebhookDeliveryStore,
        WebhookOutbox,
        WebhookDispatcher,
        WebhookWorker,
        WebhookDeliveryLog,
        WebhookMetrics,
      ],
    };
  }
}
