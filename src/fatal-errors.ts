import type { Logger } from 'pino';
import { flushLogsSync } from './common/logging/log-flush';

/**
 * An uncaught exception or an unhandled rejection leaves the process in an unknown state:
 * log it as one `fatal` JSON line (instead of Node's bare stack on stderr), write every
 * buffered log line synchronously, and exit 1 without running anything else. Synchronous on
 * purpose: waiting for the event loop would let the broken process keep serving. A write
 * already on libuv's thread pool still completes (libuv joins its threads at exit), unless
 * it is waiting to retry on a full non-blocking pipe: that one chunk is the known loss.
 */
export function installFatalErrorHandlers(
  logger: Logger,
  exit: (code: number) => never = (code) => process.exit(code),
): void {
  const die = (what: string) => (error: unknown) => {
    logger.fatal({ err: error }, `${what}; exiting`);
    flushLogsSync(logger);
    exit(1);
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled promise rejection'));
}
