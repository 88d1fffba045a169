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

/** Events are paged by (createdAt, customer, seq), newest first; the cursor carries all three. */
export function encodeEventCursor(e: { createdAt: number; seq?: number; customerId: string }): string {
  return `${e.createdAt}.${e.seq ?? 0}.${e.customerId}`;
}

export function decodeEventCursor(cursor: string | undefined): { createdAt: number; seq: number; customerId: string } | null {
  if (cursor === undefined) return null;
  const m = /^(\d+)\.(\d+)\.(.+)$/.exec(cursor);
  if (!m) return null;
  const createdAt = Number(m[1]);
  const seq = Number(m[2]);
  if (!Number.isSafeInteger(createdAt) || !Number.isSafeInteger(seq)) return null;
  return { createdAt, seq, customerId: m[3]! };
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
