import type { Customer, Generation, Grant, LedgerEntry, NewLedgerEntry, Tool, ToolPrice } from '../domain/types.js';

/**
 * What one customer-scoped write needs loaded. The store always loads the
 * customer, its live grants (credits left, not voided) and its reserved
 * generations whose hold has run out at `now`; this names anything more.
 */
export interface CustomerLoad {
  now: number;
  generationIds?: readonly string[];
  grantIds?: readonly string[];
  idempotencyKey?: string;
}

/** A consistent view of one customer, taken inside the write transaction. */
export interface CustomerSnapshot {
  customer: Customer | null;
  /** Live grants, plus any grant named in the load or used by a loaded generation. */
  grants: Grant[];
  /**
   * Generations named in the load (found by id whichever customer holds it, so a
   * taken id can be refused), plus this customer's reserved ones whose hold is due.
   */
  generations: Generation[];
  idempotency: IdempotencyRecord | null;
}

/** The first answer to a write, kept so that a retry gets it again (Rule 12). */
export interface IdempotencyRecord {
  key: string;
  requestHash: string;
  statusCode: number;
  response: unknown;
  createdAt: number;
}

/** Everything one customer-scoped write changes; applied in one transaction. */
export interface CustomerChanges {
  insertGrants: Grant[];
  updateGrants: Grant[];
  insertGenerations: Generation[];
  updateGenerations: Generation[];
  ledger: NewLedgerEntry[];
  idempotency: IdempotencyRecord | null;
}

export interface Decision<R> {
  changes: CustomerChanges;
  result: R;
}

export interface Page {
  /** Return items strictly before this cursor (exclusive), newest first. */
  before?: string;
  limit: number;
}

/** What the ledger check found: one line per disagreement, none when all is well. */
export interface AuditReport {
  customers: number;
  grants: number;
  entries: number;
  problems: string[];
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  createdAt: number;
  revokedAt: number | null;
}

/** What an adapter can do, so the service asks rather than checks which one it is. */
export interface StoreCapabilities {
  /** Several processes may share the database (false for an in-memory one). */
  multiProcess: boolean;
}

/**
 * Purse's persistence. Every customer-scoped write goes through {@link Store.transact}:
 * the store loads a snapshot, the service decides (pure, synchronous), the store
 * writes the decision, all in one transaction that serializes writes per customer.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly capabilities: StoreCapabilities;
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Runs `decide` against a snapshot of one customer and writes what it returns,
   * atomically. If `decide` throws, nothing is written and the error propagates.
   * `decide` must be synchronous and free of IO; an adapter may call it again.
   */
  transact<R>(customerId: string, load: CustomerLoad, decide: (snapshot: CustomerSnapshot) => Decision<R>): Promise<R>;

  putCustomer(customer: Customer): Promise<Customer>;
  getCustomer(id: string): Promise<Customer | null>;
  searchCustomers(query: string, limit: number): Promise<Customer[]>;

  /** Creates or updates a tool, recording a price history line when its price changes. */
  putTool(tool: Tool): Promise<Tool>;
  getTool(id: string): Promise<Tool | null>;
  listTools(): Promise<Tool[]>;
  toolPrices(toolId: string): Promise<ToolPrice[]>;

  getGeneration(id: string): Promise<Generation | null>;
  listGenerations(customerId: string, page: Page): Promise<Generation[]>;
  findGrant(id: string): Promise<Grant | null>;
  listGrants(customerId: string): Promise<Grant[]>;
  listLedger(customerId: string, page: Page): Promise<LedgerEntry[]>;

  /** The live grants and the reserved total, read without a write transaction. */
  readBalance(customerId: string, now: number): Promise<{ grants: Grant[]; reserved: number; holdsDue: boolean }>;
  /** Customers with a hold that has run out or a grant that has expired with credits left. */
  dueCustomers(now: number, limit: number): Promise<string[]>;
  /** Recomputes every grant and every customer's reserved credits from the ledger. */
  audit(): Promise<AuditReport>;

  insertApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  revokeApiKey(id: string, at: number): Promise<boolean>;

  /** A process-wide setting, written once (the first writer wins). */
  getOrSetMeta(key: string, init: () => string): Promise<string>;
}

/** An empty set of changes, to fill in. */
export function noChanges(): CustomerChanges {
  return { insertGrants: [], updateGrants: [], insertGenerations: [], updateGenerations: [], ledger: [], idempotency: null };
}
