import pino from 'pino';

/**
 * Past this much unwritten log (a stdout reader that stopped reading), lines are dropped:
 * the alternative is a heap that grows until the process dies. A synchronous destination
 * would block the event loop, and every request with it, instead.
 */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/**
 * Stdout through pino's asynchronous destination (sonic-boom): a log call appends to a
 * buffer and returns; the buffer goes out in one write per turn of the event loop instead
 * of one blocking write per line.
 *
 * minLength 1, not 0 and not a few KiB: any line starts a write at once (nothing waits
 * for a timer, so a crash loses at most the write in flight), and unlike 0 it makes
 * `flush(callback)` wait for the write in flight, which the shutdown path relies on
 * (see flushLogs). Pino flushes this destination synchronously on the process's `exit`
 * event by itself.
 */
export function createLogDestination(fd = 1): pino.DestinationStream {
  return pino.destination({ dest: fd, sync: false, minLength: 1, maxLength: MAX_BUFFERED_BYTES });
}
