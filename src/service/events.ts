import type { PurseEvent } from '../domain/events.js';
import { decodeEventCursor, encodeEventCursor } from '../store/cursor.js';
import type { EventFilter } from '../store/store.js';
import type { ServiceContext } from './context.js';
import { getCustomer } from './customers.js';
import { errors } from './errors.js';

/** Events newest first, one page; a cursor that does not decode is refused. */
export async function listEvents(ctx: ServiceContext, filter: EventFilter, page: { cursor?: string; limit: number }) {
  if (page.cursor !== undefined && decodeEventCursor(page.cursor) === null) throw errors.invalid('cursor', 'is not a cursor this list gave out');
  if (filter.customerId !== undefined) await getCustomer(ctx, filter.customerId);
  const items = await ctx.store.listEvents(filter, { before: page.cursor, limit: page.limit + 1 });
  const more = items.length > page.limit;
  const data = items.slice(0, page.limit);
  return { data, nextCursor: more ? encodeEventCursor(data[data.length - 1]!) : null };
}

export async function getEvent(ctx: ServiceContext, id: string): Promise<PurseEvent> {
  const event = await ctx.store.getEvent(id);
  if (!event) throw errors.notFound('event', id);
  return event;
}
