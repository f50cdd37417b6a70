import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { ConfigStoreErrorCode } from './config-store.errors';

/**
 * A logicId doubles as a file name ({logicId}.json), so only a safe alphabet is allowed:
 * no separators, no leading dot (so no `..`), no NUL, at most the column's 36 characters.
 */
export const LOGIC_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$/;
/** Versions appear in cache keys; the same alphabet, the column's 50 characters. */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$/;

export function assertLogicId(logicId: string): void {
  if (!LOGIC_ID_PATTERN.test(logicId)) {
    throw new DomainError(
      ConfigStoreErrorCode.InvalidLogicId,
      ErrorKind.InvalidInput,
      'logicId must be 1 to 36 characters of A-Z, a-z, 0-9, ".", "_", "-", not starting with "." or "-"',
      { details: [{ field: 'logicId', problems: ['logicId is not a safe identifier'] }] },
    );
  }
}
