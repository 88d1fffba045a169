import { errors } from '../service/errors.js';
import { authenticateRequest } from './auth.js';
import type { RouteDeps, ZodApp } from './deps.js';

/** The deepest JSON body or query accepted; a deeper one is refused with 400 before anything reads it. */
export const MAX_JSON_DEPTH = 32;

/**
 * What runs around every request: its id on the answer, who is calling (every
 * API route says who may), the NUL check by field, and the request's metrics.
 */
export function addRequestHooks(app: ZodApp, deps: RouteDeps): void {
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    const url = req.routeOptions.url;
    // Probes answer without touching the store (not even the test clock): /readyz reads it itself.
    if (url === undefined || url.startsWith('/docs') || url === '/healthz' || url === '/readyz') return;
    // Routes outside the API (the web app's files) are public; every API route says who may call it.
    if (!url.startsWith('/v1/') && !url.startsWith('/demo/') && req.routeOptions.config?.access === undefined) return;
    await deps.testClock?.sync();
    await authenticateRequest(deps.ctx, deps.auth, req);
  });
  // No text column anywhere takes a NUL character (PostgreSQL refuses it): refuse it here, by field.
  app.addHook('preValidation', async (req) => {
    const where = findNul(req.body, '') ?? findNul(req.query, '');
    if (where !== null) throw errors.invalid(where || 'body', 'must not contain the NUL character');
  });
  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.requests.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}

/**
 * The path of the first string (or key) holding a NUL character, or null.
 * Walks with its own stack, so no body can overflow the call stack; deeper than
 * MAX_JSON_DEPTH is refused.
 */
function findNul(root: unknown, rootPath: string): string | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: rootPath, depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) throw errors.invalid(path || 'body', `is nested more than ${MAX_JSON_DEPTH} levels deep`);
    const entries = Object.entries(value);
    // Pushed in reverse, so the first field is looked at first.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, inner] = entries[i]!;
      const at = path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) return at;
      stack.push({ value: inner, path: at, depth: depth + 1 });
    }
  }
  return null;
}
