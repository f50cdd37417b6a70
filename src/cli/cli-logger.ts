import { PinoNestLogger } from '../common/logging/pino-nest.logger';
import { DomainError } from '../common/errors/domain-error';
import { createRootLogger } from '../common/logging/root-logger';
import type { AppConfig } from '../config/app-config';

/** Logs go to stderr so stdout carries only the result; `info` is too chatty for a command. */
export function cliLogger(config: AppConfig) {
  return createRootLogger(config.log.level === 'info' ? 'warn' : config.log.level, process.stderr);
}

/**
 * Nest logs an error thrown while the app starts (ExceptionHandler) before rethrowing it.
 * The CLI prints a refusal itself, once, as `logic-ha [CODE]: message`: logging it again
 * as a JSON line with a stack buries the message. Unexpected errors keep their log.
 */
export class CliNestLogger extends PinoNestLogger {
  override error(message: unknown, ...rest: unknown[]): void {
    if (message instanceof DomainError && rest[rest.length - 1] === 'ExceptionHandler') return;
    super.error(message, ...rest);
  }
}
