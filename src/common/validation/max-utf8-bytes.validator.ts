import { predicateValidator } from './predicate-validator';

/** A string that fits a column measured in bytes (MySQL `text` holds 65,535 bytes of UTF-8). */
export const MaxUtf8Bytes = (max: number) =>
  predicateValidator(
    'maxUtf8Bytes',
    `$property must be at most ${max} bytes of UTF-8`,
    (value) => typeof value === 'string' && Buffer.byteLength(value, 'utf8') <= max,
  )();
