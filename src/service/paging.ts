import { errors } from './errors.js';

/** The most items one page of any list holds (the routes' `limit` is at most this). */
export const MAX_PAGE = 100;

/**
 * Reads one page of a newest-first list: asks the store for one item more than
 * `limit`, so whether another page follows is known without a count, and refuses
 * a cursor `decode` cannot read (400 naming `cursor`).
 */
export async function readPage<T>(
  page: { cursor?: string; limit: number },
  decode: (cursor: string) => unknown,
  read: (p: { before?: string; limit: number }) => Promise<T[]>,
  encode: (last: T) => string,
): Promise<{ data: T[]; nextCursor: string | null }> {
  assertCursor(page.cursor, decode);
  const limit = Math.min(page.limit, MAX_PAGE);
  const items = await read({ before: page.cursor, limit: limit + 1 });
  const data = items.slice(0, limit);
  return { data, nextCursor: items.length > limit ? encode(data[data.length - 1]!) : null };
}

/** Refuses a cursor the list did not give out (400 naming `cursor`), before anything else is done. */
export function assertCursor(cursor: string | undefined, decode: (cursor: string) => unknown): void {
  if (cursor !== undefined && (decode(cursor) ?? null) === null) throw errors.badCursor();
}
