import pino, { type Logger } from 'pino';
import type { LogLevel } from '../../config/app-config';
import { createLogDestination } from './log-destination';

/**
 * Paths redacted from every log line. Request headers carry the bearer tokens; config
 * objects are never logged whole (describeConfig() is), but a stray one still loses its secrets.
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.adminToken',
  '*.runtimeToken',
  // S3 settings: the SDK's credentials object, or its secret alone.
  '*.secretAccessKey',
  '*.credentials',
];

/**
 * The process-wide pino logger; Fastify and the access log write through it, Nest through
 * PinoNestLogger. Without a destination: stdout, asynchronously (see createLogDestination);
 * whoever exits the process flushes it first (flushLogs).
 */
export function createRootLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'logic-ha' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? createLogDestination(),
  );
}
