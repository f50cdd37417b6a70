import { predicateValidator } from './predicate-validator';
import { isRealInstant } from './query-transforms';

/** ISO 8601 with an optional zone: `2026-01-02T03:04:05Z`, `2026-01-02 03:04:05`, `2026-01-02`. */
const INSTANT_PATTERN = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,6})?)?)?(Z|[+-]\d\d:?\d\d)?$/i;

/** An ISO 8601 date-time that exists; one without a zone is UTC. */
export const IsInstant = predicateValidator(
  'isInstant',
  '$property must be an ISO 8601 date-time that exists (a value without a zone is UTC)',
  (value) => typeof value === 'string' && INSTANT_PATTERN.test(value) && isRealInstant(value),
);
