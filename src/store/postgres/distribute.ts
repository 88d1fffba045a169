import type pg from 'pg';
import { checkout } from './checkout.js';

/**
 * How each of Purse's PostgreSQL tables is laid out on Citus. Every table is in
 * exactly one list (test/store/citus-rules.pg.test.ts reads the live schema and
 * fails on a table that is not, or on a table with a `customer_id` that is not
 * distributed by it without saying why).
 */

/** A customer's own rows, distributed by the customer and co-located with `customers`, so one customer's write is one shard. */
export const CUSTOMER_TABLES = {
  customers: 'id',
  grants: 'customer_id',
  generations: 'customer_id',
  ledger_entries: 'customer_id',
  idempotency_keys: 'customer_id',
  subscriptions: 'customer_id',
  purchases: 'customer_id',
  events: 'customer_id',
  spend_windows: 'customer_id',
  members: 'customer_id',
} as const;

/** Routed lookups: which customer an id (or a payment provider's reference) belongs to, distributed by that id. */
export const ROUTED_LOOKUPS = {
  generation_ids: 'id',
  customer_refs: 'ref',
} as const;

/** The catalog and settings: small, read on every node, so copied whole to each (Citus reference tables). */
export const REFERENCE_TABLES = ['meta', 'api_keys', 'tools', 'tool_prices', 'plans', 'packs'] as const;

/**
 * Tables that stay on the coordinator only, each with why. The webhook queue is
 * read and written only by the delivery worker, never on a customer's write path.
 */
export const COORDINATOR_TABLES = {
  schema_migrations: 'the migrator’s own record',
  schema_functions: 'the migrator’s own record',
  webhook_endpoints: 'the delivery worker’s settings',
  webhook_deliveries: 'the delivery worker’s queue (it carries the customer of each event, but is keyed by delivery)',
  webhook_attempts: 'the delivery worker’s log',
} as const;

/** Triggers Citus is deliberately allowed to keep (`citus.enable_unsafe_triggers` while distributing), each with why it is safe. */
export const ALLOWED_TRIGGERS = {
  // Fires on the shard it guards and reads no table: it only raises. Citus's warning is about
  // triggers that read or write other tables (visibility across shards, deadlocks).
  ledger_entries_append_only: 'ledger_entries',
} as const;

/** The function a customer's write calls, run on the node that holds the customer (its first argument). */
export const DISTRIBUTED_FUNCTION = { signature: 'purse_apply(text,bigint,jsonb)', argument: 'p_customer', colocateWith: 'customers' } as const;

/** What `distribute` did: each step, and whether it was done now or already. */
export interface DistributeStep {
  name: string;
  as: 'distributed' | 'reference' | 'function';
  done: 'now' | 'already';
}

/**
 * Distributes a migrated Purse database on Citus (`purse distribute`):
 * reference tables first, then `customers` and every customer table co-located
 * with it, the routed lookups by their own key, and `purse_apply` by its
 * customer. Idempotent: what is already distributed is left as it is.
 */
export async function distribute(pool: pg.Pool): Promise<DistributeStep[]> {
  const { client, release } = await checkout(pool);
  try {
    const citus = await client.query("SELECT extversion FROM pg_extension WHERE extname = 'citus'");
    if (citus.rows.length === 0) throw new NotCitusError();
    const done = new Set((await client.query('SELECT logicalrelid::regclass::text AS name FROM pg_dist_partition')).rows.map((r) => r.name as string));
    const steps: DistributeStep[] = [];
    const step = async (name: string, as: DistributeStep['as'], sql: string, params: unknown[]) => {
      if (done.has(name)) return steps.push({ name, as, done: 'already' });
      await client.query(sql, params);
      return steps.push({ name, as, done: 'now' });
    };
    for (const table of REFERENCE_TABLES) await step(table, 'reference', 'SELECT create_reference_table($1)', [table]);
    // The ledger's append-only trigger is kept on purpose (ALLOWED_TRIGGERS); the setting lasts this session only.
    await client.query('SET citus.enable_unsafe_triggers = on');
    try {
      await step('customers', 'distributed', 'SELECT create_distributed_table($1, $2)', ['customers', CUSTOMER_TABLES.customers]);
      for (const [table, column] of Object.entries(CUSTOMER_TABLES)) {
        if (table === 'customers') continue;
        await step(table, 'distributed', "SELECT create_distributed_table($1, $2, colocate_with => 'customers')", [table, column]);
      }
    } finally {
      await client.query('RESET citus.enable_unsafe_triggers');
    }
    for (const [table, column] of Object.entries(ROUTED_LOOKUPS)) await step(table, 'distributed', 'SELECT create_distributed_table($1, $2)', [table, column]);
    const f = DISTRIBUTED_FUNCTION;
    const fn = await client.query(
      'SELECT distribution_argument_index IS NOT NULL AS delegated FROM pg_dist_object WHERE classid = $1::regclass AND objid = $2::regprocedure',
      ['pg_proc', f.signature],
    );
    if (fn.rows[0]?.delegated === true) {
      steps.push({ name: f.signature, as: 'function', done: 'already' });
    } else {
      await client.query('SELECT create_distributed_function($1, $2, colocate_with => $3)', [f.signature, f.argument, f.colocateWith]);
      steps.push({ name: f.signature, as: 'function', done: 'now' });
    }
    return steps;
  } finally {
    release();
  }
}

/** The database has no Citus extension: nothing to distribute. */
export class NotCitusError extends Error {
  constructor() {
    super('this database has no Citus extension (CREATE EXTENSION citus on the coordinator and every worker first)');
  }
}
