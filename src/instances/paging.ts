import { DomainError, ErrorKind } from '../common/errors/domain-error';
import { InstanceErrorCode } from './instance.errors';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** A position in a (time, id) ordering: stable while rows are added or removed. */
export interface KeysetPosition {
  time: Date;
  id: string;
}

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.time.toISOString(), position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): KeysetPosition {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(time);
    if (typeof id !== 'string' || typeof time !== 'string' || Number.isNaN(date.getTime())) throw new Error('shape');
    return { time: date, id };
  } catch {
    throw new DomainError(
      InstanceErrorCode.InvalidCursor,
      ErrorKind.InvalidInput,
      'cursor: not a cursor this API returned',
      {
        details: [{ field: 'cursor', problems: ['cursor is not valid'] }],
      },
    );
  }
}

export function pageSize(limit: number | undefined): number {
  return Math.min(Math.max(limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
}
