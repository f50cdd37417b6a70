import { Injectable } from '@nestjs/common';

/**
 * The one source of "now". Every time logic-ha writes (createTime, startTime, stopTime,
 * serverTime) and every cut-off it computes ("older than N seconds") comes from here, in
 * UTC, so the database server's time zone and clock skew never enter a comparison.
 */
export abstract class Clock {
  abstract now(): Date;
}

@Injectable()
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
