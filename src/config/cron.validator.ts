import { validateCronExpression } from 'cron';
import { predicateValidator } from '../common/validation/predicate-validator';

/** Value that switches a scheduled job off. */
export const CRON_OFF = 'off';

/** A cron expression (5 or 6 fields) or `off`. */
export const IsCronOrOff = predicateValidator(
  'isCronOrOff',
  '$property must be a cron expression such as "*/5 * * * *", or "off"',
  (value) => typeof value === 'string' && (value === CRON_OFF || validateCronExpression(value).valid),
);

function isTimeZone(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone name that Intl knows, e.g. `UTC`, `Europe/Berlin`. */
export const IsTimeZone = predicateValidator(
  'isTimeZone',
  '$property must be an IANA time zone such as "UTC" or "Europe/Berlin"',
  isTimeZone,
);
