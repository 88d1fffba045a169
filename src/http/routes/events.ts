import { z } from 'zod';
import * as events from '../../service/events.js';
import type { RouteDeps, ZodApp } from '../deps.js';
import { EventType, EventView, Id, PageQuery, commonErrors, json, paged } from '../schemas.js';
import { view } from '../views.js';

export const EventsQuery = PageQuery.extend({ customerId: Id.optional(), type: EventType.optional() });

/** The events feed: what an app that cannot take webhooks polls instead. */
export function eventRoutes(app: ZodApp, { ctx }: RouteDeps): void {
  app.get('/v1/events', {
    schema: {
      tags: ['events'],
      operationId: 'listEvents',
      summary: 'List events, newest first',
      description: 'Optionally of one customer or one type; page with `cursor` (the `nextCursor` of the page before).',
      querystring: EventsQuery,
      response: { 200: json('A page of events', paged(EventView)), ...commonErrors },
    },
    handler: async (req) => {
      const { cursor, limit, customerId, type } = req.query;
      const page = await events.listEvents(ctx, { ...(customerId ? { customerId } : {}), ...(type ? { type } : {}) }, { cursor, limit });
      return { data: page.data.map(view.event), nextCursor: page.nextCursor };
    },
  });

  app.get('/v1/events/:eventId', {
    schema: {
      tags: ['events'],
      operationId: 'getEvent',
      summary: 'Get one event',
      description: 'The event with this id, as the feed lists it.',
      params: z.object({ eventId: Id }),
      response: { 200: json('The event', EventView), ...commonErrors },
    },
    handler: async (req) => view.event(await events.getEvent(ctx, req.params.eventId)),
  });
}
