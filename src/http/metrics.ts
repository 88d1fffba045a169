import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/store.js';

/** Prometheus metrics of one app instance (its own registry, so tests can run several). */
export function createMetrics(store?: Store) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'purse_store_writes',
    help: 'Customer writes applied since start; with purse_store_commits, how many share a commit (SQLite) or a purse_apply call (PostgreSQL)',
    registers: [registry],
    collect() {
      this.set(store?.writeStats().writes ?? 0);
    },
  });
  new Gauge({
    name: 'purse_store_commits',
    help: 'Commits (SQLite group commits) or purse_apply calls (PostgreSQL batches) since start',
    registers: [registry],
    collect() {
      this.set(store?.writeStats().commits ?? 0);
    },
  });
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
    paymentMismatches: new Counter({
      name: 'purse_payment_event_mismatches_total',
      help: 'Signed payment events acknowledged but not applied because they contradict what Purse knows (unknown purchase, other customer or pack, amount or currency not the price)',
      labelNames: ['type'] as const,
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
