import { type LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

type PinoMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Routes Nest's Logger calls into pino so framework and feature logs are the same JSON
 * lines as Fastify's request logs. Nest passes the context name as the last argument.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(method: PinoMethod, message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    // Nest's Logger.error(message, stack, context) passes the stack as a string argument.
    const stack = method === 'error' || method === 'fatal' ? rest.find((r) => typeof r === 'string') : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    if (message instanceof Error) {
      this.root[method]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      const { msg, ...object } = message as Record<string, unknown>;
      this.root[method]({ ...fields, ...object }, typeof msg === 'string' ? msg : undefined);
    } else {
      this.root[method](fields, String(message));
    }
  }
}
