import { ValidationOptions, registerDecorator } from 'class-validator';
import { validateCronExpression } from 'cron';

/** Value that switches a scheduled job off. */
export const CRON_OFF = 'off';

/** A cron expression (5 or 6 fields) or `off`. */
export function IsCronOrOff(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isCronOrOff',
      target: target.constructor,
      propertyName,
      options: { message: '$property must be a cron expression such as "*/5 * * * *", or "off"', ...options },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && (value === CRON_OFF || validateCronExpression(value).valid),
      },
    });
}

/** An IANA time zone name that Intl knows, e.g. `UTC`, `Europe/Berlin`. */
export function IsTimeZone(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isTimeZone',
      target: target.constructor,
      propertyName,
      options: { message: '$property must be an IANA time zone such as "UTC" or "Europe/Berlin"', ...options },
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          try {
            new Intl.DateTimeFormat('en', { timeZone: value });
            return true;
          } catch {
            return false;
          }
        },
      },
    });
}
