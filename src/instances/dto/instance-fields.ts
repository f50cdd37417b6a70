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
