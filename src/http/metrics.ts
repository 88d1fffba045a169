import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one app instance (its own registry, so tests can run several). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Histogram({
      name: 'purse_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    generations: new Counter({
      name: 'purse_generations_total',
      help: 'Generations by what happened to them: reserved, refused, completed, failed, refunded',
      labelNames: ['outcome', 'tool'] as const,
      registers: [registry],
    }),
    credits: new Counter({
      name: 'purse_credits_total',
      help: 'Credits moved through the API by kind: reserved, charged, released, granted, refunded',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
