import { DomainError, ErrorKind } from './domain-error';

export const STORAGE_FULL_CODE = 'STORAGE_FULL';

/**
 * The one list of "the disk is full" errors: no space (ENOSPC), a quota reached (EDQUOT),
 * and SQLite's own word for either (SQLITE_FULL, which better-sqlite3 raises for a write
 * that hit ENOSPC, and for a database at its max_page_count).
 */
const STORAGE_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

interface ErrorLike {
  code?: unknown;
  path?: unknown;
  cause?: unknown;
  driverError?: unknown;
}

/**
 * Looks through the wrappers a full disk arrives in: TypeORM's QueryFailedError keeps the
 * driver's error in `driverError`, streams and our own errors in `cause`. Duck-typed, as
 * errno errors from Node's internals are not always `instanceof Error` across realms.
 */
function storageFullCause(error: unknown, depth = 0): ErrorLike | undefined {
  if (typeof error !== 'object' || error === null || depth > 5) return undefined;
  const candidate = error as ErrorLike;
  if (typeof candidate.code === 'string' && STORAGE_FULL_CODES.has(candidate.code)) return candidate;
  return storageFullCause(candidate.driverError, depth + 1) ?? storageFullCause(candidate.cause, depth + 1);
}

export function isStorageFull(error: unknown): boolean {
  return storageFullCause(error) !== undefined;
}

/** The file a full-disk error names itself (ENOSPC on a write carries it; SQLITE_FULL does not). */
export function storageFullPath(error: unknown): string | undefined {
  const path = storageFullCause(error)?.path;
  return typeof path === 'string' ? path : undefined;
}

/**
 * 507 STORAGE_FULL naming where logic-ha was writing: the path the caller knows, else the
 * one the error carries. What filled the disk is for the operator to find; the request
 * changed nothing it could not finish (files are written to a temp file and renamed;
 * database writes roll back).
 */
export function storageFull(path: string | undefined, cause: unknown): DomainError {
  const found = storageFullCause(cause);
  const where = path ?? (typeof found?.path === 'string' ? found.path : undefined);
  const code = typeof found?.code === 'string' ? found.code : 'ENOSPC';
  const message = `No space left to write ${where ?? 'to the disk'} (${code}); free space on that file system (or raise its quota), then retry`;
  return new DomainError(STORAGE_FULL_CODE, ErrorKind.InsufficientStorage, message, {
    details: { path: where ?? null, errno: code },
    cause,
  });
}

/** Runs a write; a full disk comes out as STORAGE_FULL naming `path`, anything else unchanged. */
export async function namingFullStorage<T>(path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw isStorageFull(error) && !(error instanceof DomainError) ? storageFull(path, error) : error;
  }
}
