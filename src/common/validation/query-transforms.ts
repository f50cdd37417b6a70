import { Transform } from 'class-transformer';

/** Query strings carry `true`/`false` (or `1`/`0`); anything else stays a string and fails @IsBoolean. */
export const ToBoolean = () =>
  Transform(({ value }: { value: unknown }) => {
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    return value;
  });

/** `a,b,c` in a query string becomes ['a', 'b', 'c']; repeated parameters are accepted too. */
export const ToList = () =>
  Transform(({ value }: { value: unknown }) => {
    const parts: unknown = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : value;
    return Array.isArray(parts)
      ? parts.map((p: unknown) => (typeof p === 'string' ? p.trim() : p)).filter((p) => p !== '')
      : parts;
  });

/** ISO 8601 instants; one without a zone designator is read as UTC, never as the server's local time. */
export function parseUtcInstant(value: string): Date {
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/i.test(value);
  const normalised = value.replace(' ', 'T');
  return new Date(hasZone ? normalised : `${normalised}${normalised.includes('T') ? '' : 'T00:00:00'}Z`);
}

/**
 * True when `value` names a real instant: the calendar date it spells exists (no
 * February 30th, which Date would silently roll into March).
 */
export function isRealInstant(value: string): boolean {
  const parsed = parseUtcInstant(value);
  if (Number.isNaN(parsed.getTime())) return false;
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  return calendar.getUTCFullYear() === year && calendar.getUTCMonth() === month - 1 && calendar.getUTCDate() === day;
}
