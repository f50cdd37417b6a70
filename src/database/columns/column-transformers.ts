import type { ValueTransformer } from 'typeorm';

/** tinyint flags <-> booleans; NULL stays NULL (logic-solution leaves `success` unset while running). */
export const tinyintBoolean: ValueTransformer = {
  to: (value: boolean | null | undefined) => (value === undefined || value === null ? value : value ? 1 : 0),
  from: (value: unknown) => (value === null || value === undefined ? null : Number(value) !== 0),
};

/** bigint columns that hold milliseconds: mysql2 returns them as strings. */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: unknown) => (value === null || value === undefined ? null : Number(value)),
};
