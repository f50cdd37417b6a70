import 'reflect-metadata';
import { createApp } from './app.factory';
import { createRootLogger } from './common/logging/root-logger';
import { describeConfig } from './config/app-config.factory';
import { loadAppConfigOrExit } from './config/load-or-exit';
import { flushLogs } from './common/logging/log-flush';
import { installFatalErrorHandlers } from './fatal-errors';
import { installGracefulShutdown } from './shutdown';

async function bootstrap(): Promise<void> {
  const config = loadAppConfigOrExit(process.env);
  const rootLogger = createRootLogger(config.log.level);
  installFatalErrorHandlers(rootLogger);
  rootLogger.info({ config: describeConfig(config) }, 'starting logic-ha');
  try {
    const app = await createApp(config, { rootLogger });
    installGracefulShutdown(app, config.http.shutdownTimeoutMs, rootLogger);
    await app.listen({ host: config.http.host, port: config.http.port });
    rootLogger.info({ url: await app.getUrl() }, 'logic-ha is listening');
    // Start-up lines are fewer than a log chunk: out now rather than at the next periodic flush.
    rootLogger.flush();
  } catch (error) {
    rootLogger.fatal({ err: error }, 'logic-ha failed to start');
    await flushLogs(rootLogger);
    process.exit(1);
  }
}

void bootstrap();
