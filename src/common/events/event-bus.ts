import { Injectable } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { AppEventMap, AppEventName } from './app-events';

/** Emits typed events; listeners run synchronously, in registration order. */
@Injectable()
export class EventBus {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<K extends AppEventName>(name: K, payload: AppEventMap[K]): void {
    this.emitter.emit(name, payload);
  }
}

/**
 * Subscribes a method to a typed event. `suppressErrors` makes @nestjs/event-emitter catch
 * and log a listener's error, so one failing listener never keeps the next from running
 * (logic-solution's own trigger loop stopped at the first exception).
 */
export function OnAppEvent<K extends AppEventName>(name: K): MethodDecorator {
  return OnEvent(name, { suppressErrors: true });
}
