import pino from 'pino';

/**
 * Past this much unwritten log (a stdout reader that stopped reading), lines are dropped:
 * the alternative is a heap that grows until the process dies. A synchronous destination
 * would block the event loop, and every request with it, instead.
 */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Lines are written in chunks of at least this much (about a dozen access lines)... */
const MIN_WRITE_BYTES = 4096;
/** ...or this often, so that a quiet service's lines still show up at once to a reader. */
const FLUSH_EVERY_MS = 250;

const periodicFlushes = new WeakMap<object, NodeJS.Timeout>();

/**
 * Stdout through pino's asynchronous destination (sonic-boom): a log call appends to a
 * buffer and returns. Each write to the fd is a round trip through libuv's thread pool
 * (a copy of the chunk, a queued job, a callback), which costs more than a blocking write
 * of one line: it pays only when a write carries many lines, hence MIN_WRITE_BYTES.
 *
 * What is still buffered is written at a normal stop and at a fatal error (flushLogs,
 * flushLogsSync; pino also flushes this destination synchronously on `exit`). A SIGKILL
 * loses at most MIN_WRITE_BYTES or FLUSH_EVERY_MS of lines, plus a write in flight.
 */
export function createLogDestination(fd = 1): pino.DestinationStream {
  const destination = pino.destination({
    dest: fd,
    sync: false,
    minLength: MIN_WRITE_BYTES,
    maxLength: MAX_BUFFERED_BYTES,
  });
  // Our own timer rather than sonic-boom's `periodicFlush`: flushLogs must stop it, or it
  // could start an asynchronous write between the final drain and the exit.
  const timer = setInterval(() => destination.flush(), FLUSH_EVERY_MS);
  timer.unref();
  periodicFlushes.set(destination, timer);
  return destination;
}

/** From now on only flushLogs writes what is buffered below MIN_WRITE_BYTES (the process is about to exit). */
export function stopPeriodicFlush(destination: object): void {
  clearInterval(periodicFlushes.get(destination));
}
