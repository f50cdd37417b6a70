/**
 * A process that logs LINES lines through the production root logger (asynchronous stdout)
 * and then dies the way argv[2] says, for test/e2e/log-flush.e2e-spec.ts:
 * - `throw`: an uncaught exception; `reject`: an unhandled rejection (fatal handlers installed);
 * - `sigterm`: SIGTERM to itself, with the graceful shutdown of a trivial app installed.
 * Each line is about 1 KiB, so the lines outgrow a pipe's buffer and wait in the logger's.
 */
import { createRootLogger } from '../../src/common/logging/root-logger';
import { installFatalErrorHandlers } from '../../src/fatal-errors';
import { installGracefulShutdown } from '../../src/shutdown';
import type { INestApplication } from '@nestjs/common';

const how = process.argv[2];
const lines = Number(process.argv[3]);
const logger = createRootLogger('info');
installFatalErrorHandlers(logger);
installGracefulShutdown({ close: async () => undefined } as unknown as INestApplication, 5000, logger);
const padding = 'x'.repeat(1000);
// A timer keeps the process alive until it dies as told.
const keepAlive = setInterval(() => undefined, 60_000);

// After the first turn of the event loop, as in a running service.
setImmediate(() => {
  for (let i = 0; i < lines; i++) logger.info({ i, padding }, 'numbered line');
  if (how === 'throw') throw new Error('fixture exception');
  if (how === 'reject') void Promise.reject(new Error('fixture rejection'));
  if (how === 'sigterm') process.kill(process.pid, 'SIGTERM');
  if (how === 'none') clearInterval(keepAlive);
});
