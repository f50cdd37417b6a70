/** Column sizes of logic_instance that request bodies must respect. */
export const ID_MAX = 36;
export const VERSION_MAX = 50;
export const ENV_MAX = 10;
export const NEXT_NAME_MAX = 255;
/** MySQL `text`. */
export const TEXT_MAX_BYTES = 65_535;
/** The most logic ids one query may exclude, and ids one delete may name. */
export const EXCLUDE_MAX = 100;
export const DELETE_IDS_MAX = 1000;
/** ISO 8601 with an optional zone: `2026-01-02T03:04:05Z`, `2026-01-02 03:04:05`, `2026-01-02`. */
export const INSTANT_PATTERN = /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,6})?)?)?(Z|[+-]\d\d:?\d\d)?$/i;
