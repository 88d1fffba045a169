import type { PurseEvent } from '../domain/events.js';
import { decodeEventCursor, encodeEventCursor } from '../store/cursor.js';
import type { EventFilter } from '../store/store.js';
import type { ServiceContext } from './context.js';
import { getCustomer } from './customers.js';
import { errors } from './errors.js';
import { readPage } from './paging.js';

/** Events newest first, one page; a cursor that does not decode is refused. */
export async function listEvents(ctx: ServiceContext, filter: EventFilter, page: { cursor?: string; limit: number }) {
  if (filter.customerId !== undefined) await getCustomer(ctx, filter.customerId);
  return readPage(page, decodeEventCursor, (p) => ctx.store.listEvents(filter, p), encodeEventCursor);
}

export async function getEvent(ctx: ServiceContext, id: string): Promise<PurseEvent> {
  const event = await ctx.store.getEvent(id);
  if (!event) throw errors.notFound('event', id);
  return event;
}
