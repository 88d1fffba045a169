import type { Generation } from '../domain/types.js';

/** Generations are paged by (createdAt, id), newest first; the cursor carries both. */
export function encodeGenerationCursor(g: Pick<Generation, 'createdAt' | 'id'>): string {
  return `${g.createdAt}.${g.id}`;
}

export function decodeGenerationCursor(cursor: string | undefined): { createdAt: number; id: string } | null {
  if (cursor === undefined) return null;
  const dot = cursor.indexOf('.');
  const createdAt = Number(cursor.slice(0, dot));
  if (dot < 1 || !Number.isSafeInteger(createdAt)) return null;
  return { createdAt, id: cursor.slice(dot + 1) };
}

/**
 * Events are paged newest first: one customer's by its sequence, every
 * customer's by id (ids sort by time). The cursor carries both.
 */
export function encodeEventCursor(e: { seq?: number; id: string }): string {
  return `${e.seq ?? 0}.${e.id}`;
}

export function decodeEventCursor(cursor: string | undefined): { seq: number; id: string } | null {
  if (cursor === undefined) return null;
  const m = /^(\d{1,15})\.(evt_[0-9a-z]{1,40})$/.exec(cursor);
  return m ? { seq: Number(m[1]), id: m[2]! } : null;
}

/** Webhook attempts are paged by (at, id), newest first. */
export function encodeAttemptCursor(a: { at: number; id: string }): string {
  return `${a.at}.${a.id}`;
}

export function decodeAttemptCursor(cursor: string | undefined): { at: number; id: string } | null {
  const c = decodeGenerationCursor(cursor);
  return c ? { at: c.createdAt, id: c.id } : null;
}

/** Ledger entries are paged by their id, newest first. */
export function decodeLedgerCursor(cursor: string): number | null {
  return /^\d{1,16}$/.test(cursor) ? Number(cursor) : null;
}
