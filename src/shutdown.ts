import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';
import { flushLogs, flushLogsSync } from './common/logging/log-flush';

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * On SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish, run the
 * modules' shutdown hooks (the database is closed there), exit 0. If that takes longer
 * than `timeoutMs`, exit 1 rather than hang an orchestrator's stop.
 */
export function installGracefulShutdown(app: INestApplication, timeoutMs: number, logger: Logger): void {
  let closing = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal, timeoutMs }, 'shutting down');
    const watchdog = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      // No more waiting: what the destination has not written by now is written synchronously.
      flushLogsSync(logger);
      process.exit(1);
    }, timeoutMs);
    watchdog.unref();
    try {
      await app.close();
      logger.info('shutdown complete');
      await exitAfterFlush(logger, 0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      await exitAfterFlush(logger, 1);
    }
  };
  for (const signal of SIGNALS) process.once(signal, (s) => void shutdown(s));
}

/**
 * Logs are written asynchronously: every line, the last ones included, goes out before the
 * exit. The watchdog above still bounds the wait.
 */
async function exitAfterFlush(logger: Logger, code: number): Promise<never> {
  await flushLogs(logger);
  process.exit(code);
}
