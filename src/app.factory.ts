import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { AccessLogController } from './common/logging/access-log';
import { createRootLogger } from './common/logging/root-logger';
import { PinoNestLogger } from './common/logging/pino-nest.logger';
import { setupOpenApi } from './common/http/openapi';
import { REQUEST_ID_HEADER, requestIdFromHeaders } from './common/http/request-id';
import { acceptJsonBodiesOnly } from './common/http/json-bodies';
import { createValidationPipe } from './common/http/validation';
import { type AppConfig } from './config/app-config';
import { prepareDataDirectory } from './config/data-directory';
import { installDashboard } from './dashboard/dashboard-static';

export interface CreateAppOptions {
  /** Defaults to a JSON logger on stdout at the configured level. */
  rootLogger?: Logger;
}

/**
 * Builds the whole application exactly as it runs in production (used by main.ts and by
 * the e2e tests): Fastify with request ids and a body limit, the one exception filter,
 * global validation, auth, OpenAPI. Does not listen.
 */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const rootLogger = options.rootLogger ?? createRootLogger(config.log.level);
  prepareDataDirectory(config.dataDir);
  const adapter = new FastifyAdapter({
    loggerInstance: rootLogger,
    // One access line per answered request, as LOG_REQUESTS says (see AccessLogController).
    logController: new AccessLogController(config.log.requests),
    genReqId: requestIdFromHeaders,
    requestIdHeader: false,
    bodyLimit: config.http.bodyLimitBytes,
    // Shutdown: idle keep-alive sockets are closed at once; in-flight requests finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, rootLogger), adapter, {
    logger: new PinoNestLogger(rootLogger),
    abortOnError: false,
    // Nest's parsers would add urlencoded bodies; only JSON is read (see acceptJsonBodiesOnly).
    bodyParser: false,
  });
  app.useGlobalFilters(
    new AllExceptionsFilter(config.database.type === 'sqlite' ? config.database.sqlitePath : undefined),
  );
  app.useGlobalPipes(createValidationPipe());
  installFastifyHooks(app);
  installDashboard(app);
  setupOpenApi(app);
  return app;
}

function installFastifyHooks(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  acceptJsonBodiesOnly(fastify);
  // Set when close() starts: answers still being produced then tell the client to drop
  // the connection, so a keep-alive peer cannot hold the shutdown open until it times out.
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  // Callback style, not async: this runs on every answer, and a promise per answer is measurable.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
}
