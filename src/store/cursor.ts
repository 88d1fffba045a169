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
