import { Injectable, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { InstanceAfterStopEvent } from './app-events';
import { EventBus, OnAppEvent } from './event-bus';
import { EventsModule } from './events.module';

const received: string[] = [];

@Injectable()
class ThrowingListener {
  @OnAppEvent('instance.after-stop')
  onAfterStop(): void {
    received.push('throwing');
    throw new Error('listener bug');
  }
}

@Injectable()
class HealthyListener {
  @OnAppEvent('instance.after-stop')
  onAfterStop(event: InstanceAfterStopEvent): void {
    received.push(`healthy:${event.instanceId}`);
  }
}

describe('EventBus with @OnAppEvent listeners', () => {
  it('runs every listener even when one throws, and logs the error instead of losing it', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const module = await Test.createTestingModule({
      imports: [EventsModule],
      providers: [ThrowingListener, HealthyListener],
    }).compile();
    module.useLogger(false);
    await module.init();
    const bus = module.get(EventBus);
    expect(() =>
      bus.emit('instance.after-stop', {
        logicId: 'L',
        bizId: 'B',
        instanceId: 'i-1',
        returnData: null,
        success: true,
        isOver: true,
      }),
    ).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toEqual(['throwing', 'healthy:i-1']);
    expect(logged).toHaveBeenCalledWith('listener bug', expect.stringContaining('listener bug'));
    await module.close();
  });
});

describe('EventBus.on', () => {
  it('delivers until unsubscribed, and a throwing listener neither reaches the emitter nor stops the next one', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const module = await Test.createTestingModule({ imports: [EventsModule] }).compile();
    module.useLogger(false);
    await module.init();
    const bus = module.get(EventBus);
    const seen: string[] = [];
    bus.on('config.evicted', () => {
      throw new Error('listener bug');
    });
    const stop = bus.on('config.evicted', (payload) => seen.push(payload.logicId ?? 'all'));
    expect(() => bus.emit('config.evicted', { logicId: 'L1', keys: [] })).not.toThrow();
    stop();
    bus.emit('config.evicted', { logicId: 'L2', keys: [] });
    expect(seen).toEqual(['L1']);
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ msg: 'listener of config.evicted failed' }));
    logged.mockRestore();
    await module.close();
  });
});
