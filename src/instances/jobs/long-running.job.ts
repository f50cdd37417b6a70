import { Injectable } from '@nestjs/common';
import { EventBus } from '../../common/events/event-bus';
import { Clock } from '../../common/time/clock';
import { AppConfig } from '../../config/app-config';
import { InstanceService } from '../instance.service';
import { MAX_PAGE_SIZE } from '../paging';
import { InstanceJob } from './instance-job';

/** Emits `instance.long-running` once per instance running longer than the configured timeout. */
@Injectable()
export class LongRunningJob implements InstanceJob {
  readonly name = 'long-running' as const;

  constructor(
    private readonly instances: InstanceService,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async run(): Promise<Record<string, number>> {
    const timeoutSeconds = this.config.instanceJobs.longRunning.timeoutSeconds;
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.instances.queryLongtimeRunningBiz(timeoutSeconds, { limit: MAX_PAGE_SIZE, cursor });
      const now = this.clock.now().getTime();
      for (const instance of page.items) {
        if (seen.has(instance.id)) continue;
        seen.add(instance.id);
        this.events.emit('instance.long-running', {
          logicId: instance.logicId ?? '',
          bizId: instance.bizId ?? '',
          instanceId: instance.id,
          startTime: instance.startTime!,
          runningSeconds: Math.floor((now - instance.startTime!.getTime()) / 1000),
        });
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return { emitted: seen.size };
  }
}
