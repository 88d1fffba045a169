import type { SwaggerTransformObject } from '@fastify/swagger';
import { z } from 'zod';
import { ERROR_EXAMPLES } from './schemas.js';

/** How /openapi.json is shaped beyond what @fastify/swagger makes of the routes' zod schemas. */
/** The groups of the API reference, in the order /docs shows them. */
export const API_TAGS = [
  { name: 'generations', description: 'Reserve credits before a job, then complete (charge) or fail (give back) it' },
  { name: 'credits', description: "A customer's balance, ledger and grants; operators' grants and voids" },
  { name: 'customers', description: "The app's end users, and customer sessions for front ends" },
  { name: 'tools', description: 'Generative tools and what each generation costs' },
  { name: 'plans', description: 'Subscription plans: credits every period' },
  { name: 'packs', description: 'Add-on credit packs' },
  { name: 'pricing', description: 'The public price list' },
  { name: 'subscriptions', description: 'Subscribe, change plan, cancel at period end' },
  { name: 'purchases', description: 'Buying packs, and refunding a purchase' },
  { name: 'reports', description: 'Credits issued, spent, refunded and expired; what is still owed' },
  { name: 'events', description: 'What changed, in order: the events feed and the alert settings that fire credits.low and credits.expiring_soon' },
  { name: 'webhooks', description: "Endpoints of the app's backend that receive the events, signed, and what was sent to each" },
  { name: 'payments', description: "The payment provider's notices" },
  { name: 'test clock', description: 'Move time forward in tests (PURSE_TEST_CLOCK=1 only)' },
  { name: 'operations', description: 'Liveness, readiness and metrics' },
];

/** Gives each error response the example of its status (one Error schema serves them all, so it cannot carry them). */
export function withErrorExamples<T extends { schema: unknown }>(route: T): T {
  type Media = { schema?: { $ref?: string }; example?: unknown };
  const responses = (route.schema as { response?: Record<string, { content?: Record<string, Media> }> } | undefined)?.response ?? {};
  for (const [status, response] of Object.entries(responses)) {
    const media = response.content?.['application/json'];
    if (media?.schema?.$ref === '#/components/schemas/Error' && ERROR_EXAMPLES[status]) media.example = ERROR_EXAMPLES[status];
  }
  return route;
}

const OPTIONAL_BODY = 'x-purse-optional-body';

/**
 * @fastify/swagger marks every request body required; a route whose zod body
 * accepts no body at all (complete, fail …) says so with a mark that
 * withOptionalBodies turns into `requestBody.required: false`.
 */
export function markOptionalBody<T extends { schema: unknown }>(body: unknown, route: T): T {
  if (body instanceof z.ZodType && body.safeParse(undefined).success) (route.schema as Record<string, unknown>)[OPTIONAL_BODY] = true;
  return route;
}

export function withOptionalBodies(doc: ReturnType<SwaggerTransformObject>): ReturnType<SwaggerTransformObject> {
  const paths = (doc as { paths?: Record<string, Record<string, Record<string, unknown> & { requestBody?: { required?: boolean } }>> }).paths ?? {};
  for (const operation of Object.values(paths).flatMap((item) => Object.values(item))) {
    if (!(OPTIONAL_BODY in operation)) continue;
    delete operation[OPTIONAL_BODY];
    if (operation.requestBody) operation.requestBody.required = false;
  }
  return doc;
}

/** The document without component schemas that no operation reaches (directly or through another schema). */
export function withoutUnusedSchemas(doc: ReturnType<SwaggerTransformObject>): ReturnType<SwaggerTransformObject> {
  const components = (doc as { components?: { schemas?: Record<string, unknown> } }).components;
  const schemas = components?.schemas;
  if (!schemas) return doc;
  const refsIn = (value: unknown) => [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
  const used = new Set<string>();
  const pending = refsIn({ ...doc, components: { ...components, schemas: {} } });
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (used.has(name) || !(name in schemas)) continue;
    used.add(name);
    pending.push(...refsIn(schemas[name]));
  }
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...doc, components: { ...components, schemas: kept } } as typeof doc;
}
