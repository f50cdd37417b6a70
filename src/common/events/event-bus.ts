import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { AppEventMap, AppEventName } from './app-events';

/** Emits typed events; listeners run synchronously, in registration order. */
@Injectable()
export class EventBus {
  private readonly logger = new Logger('EventBus');

  constructor(private readonly emitter: EventEmitter2) {}

  emit<K extends AppEventName>(name: K, payload: AppEventMap[K]): void {
    this.emitter.emit(name, payload);
  }

  /** Listens to one event until the returned function is called; a throwing listener is isolated like @OnAppEvent's. */
  on<K extends AppEventName>(name: K, listener: (payload: AppEventMap[K]) => void): () => void {
    const safe = (payload: AppEventMap[K]) => {
      try {
        listener(payload);
      } catch (error) {
        // Same contract as suppressErrors: one listener's failure never reaches the emitter; it is logged.
        this.logger.error({
          msg: `listener of ${name} failed`,
          err: error instanceof Error ? error.stack : String(error),
        });
      }
    };
    this.emitter.on(name, safe);
    return () => void this.emitter.off(name, safe);
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
