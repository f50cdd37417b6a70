import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ForwardedAnswer } from '../http/forwarded-answer';
import { requestIdOf } from '../http/request-id';
import { toErrorAnswer } from './error-body';

/** The one exception filter: every error leaves the app in the same shape. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  /** `databasePath`: the SQLite file, named when a database write finds the disk full. */
  constructor(private readonly databasePath?: string) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (exception instanceof ForwardedAnswer) {
      void reply.status(exception.status).headers(exception.headers).send(exception.body);
      return;
    }
    const correlationId = requestIdOf(request);
    const answer = toErrorAnswer(exception, correlationId, this.databasePath);
    if (answer.unexpected) {
      const stack = exception instanceof Error ? exception.stack : String(exception);
      this.logger.error({
        msg: 'unexpected error',
        correlationId,
        method: request.method,
        url: request.url,
        err: stack,
      });
    }
    void reply.status(answer.body.statusCode).headers(answer.headers).send(answer.body);
  }
}
