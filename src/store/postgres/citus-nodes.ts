import pg from 'pg';

/**
 * PostgreSQL's `hashtext` (lookup3's `hash_bytes` over the UTF-8 bytes, as a
 * signed 32-bit integer): the hash Citus places a text distribution value by.
 * @example hashText('bench-1') // the same as SELECT hashtext('bench-1'), and Citus's worker_hash('bench-1')
 */
export function hashText(value: string): number {
  const k = Buffer.from(value, 'utf8');
  let len = k.length;
  let a = (0x9e3779b9 + len + 3923095) >>> 0;
  let b = a;
  let c = a;
  const rot = (x: number, n: number) => ((x << n) | (x >>> (32 - n))) >>> 0;
  let o = 0;
  const word = (i: number) => (k[o + i]! | (k[o + i + 1]! << 8) | (k[o + i + 2]! << 16) | (k[o + i + 3]! << 24)) >>> 0;
  while (len >= 12) {
    a = (a + word(0)) >>> 0;
    b = (b + word(4)) >>> 0;
    c = (c + word(8)) >>> 0;
    // mix(a, b, c)
    a = ((a - c) ^ rot(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = ((b - a) ^ rot(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - b) ^ rot(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = ((a - c) ^ rot(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = ((b - a) ^ rot(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - b) ^ rot(b, 4)) >>> 0;
    b = (b + a) >>> 0;
    o += 12;
    len -= 12;
  }
  // The last 0–11 bytes, little-endian; the lowest byte of c holds no key byte.
  const at = (i: number, shift: number) => (k[o + i]! << shift) >>> 0;
  if (len >= 11) c = (c + at(10, 24)) >>> 0;
  if (len >= 10) c = (c + at(9, 16)) >>> 0;
  if (len >= 9) c = (c + at(8, 8)) >>> 0;
  if (len >= 8) b = (b + at(7, 24)) >>> 0;
  if (len >= 7) b = (b + at(6, 16)) >>> 0;
  if (len >= 6) b = (b + at(5, 8)) >>> 0;
  if (len >= 5) b = (b + at(4, 0)) >>> 0;
  if (len >= 4) a = (a + at(3, 24)) >>> 0;
  if (len >= 3) a = (a + at(2, 16)) >>> 0;
  if (len >= 2) a = (a + at(1, 8)) >>> 0;
  if (len >= 1) a = (a + at(0, 0)) >>> 0;
  // final(a, b, c)
  c = ((c ^ b) - rot(b, 14)) >>> 0;
  a = ((a ^ c) - rot(c, 11)) >>> 0;
  b = ((b ^ a) - rot(a, 25)) >>> 0;
  c = ((c ^ b) - rot(b, 16)) >>> 0;
  a = ((a ^ c) - rot(c, 4)) >>> 0;
  b = ((b ^ a) - rot(a, 14)) >>> 0;
  c = ((c ^ b) - rot(b, 24)) >>> 0;
  return c | 0;
}

/** The tables a customer's write is routed by. */
export type RoutedTable = 'customers' | 'generation_ids';

/** One shard of a hash-distributed table: its hash range and the node (`host:port`) holding it. */
export interface ShardPlacement {
  table: string;
  min: number;
  max: number;
  node: string;
}

/**
 * Which node holds which shard of the tables a customer's write touches, read from
 * the coordinator's metadata: the shards of `customers` (every customer table is
 * co-located with it) and of `generation_ids`, on nodes that have the metadata
 * (any such node can run any statement; Citus 11+). A placement that has moved
 * since it was read only costs a hop: the node sends the statement on.
 */
export class ShardMap {
  private readonly ranges = new Map<string, ShardPlacement[]>();

  constructor(placements: readonly ShardPlacement[]) {
    for (const p of placements) {
      const list = this.ranges.get(p.table) ?? [];
      list.push(p);
      this.ranges.set(p.table, list);
    }
    for (const list of this.ranges.values()) list.sort((a, b) => a.min - b.min);
  }

  /** The node holding the shard of `table` that `value` hashes to; null when the map has none. */
  nodeOf(table: string, value: string): string | null {
    const list = this.ranges.get(table);
    if (!list) return null;
    const h = hashText(value);
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = list[mid]!;
      if (h < p.min) hi = mid - 1;
      else if (h > p.max) lo = mid + 1;
      else return p.node;
    }
    return null;
  }

  /** Every node the map names. */
  nodes(): string[] {
    return [...new Set([...this.ranges.values()].flat().map((p) => p.node))];
  }
}

/** The shards of the write path's tables and where they are (nodes with metadata, primaries only). */
export const SHARD_MAP_SQL = `SELECT p.logicalrelid::regclass::text AS "table", s.shardminvalue AS min, s.shardmaxvalue AS max, n.nodename, n.nodeport
  FROM pg_dist_partition p
  JOIN pg_dist_shard s ON s.logicalrelid = p.logicalrelid
  JOIN pg_dist_placement pl ON pl.shardid = s.shardid
  JOIN pg_dist_node n ON n.groupid = pl.groupid
 WHERE p.logicalrelid IN ('customers'::regclass, 'generation_ids'::regclass) AND p.partmethod = 'h'
   AND n.isactive AND n.hasmetadata AND n.metadatasynced AND n.noderole = 'primary'`;

/** How long a shard map is used before it is read again (a rebalance moves shards; a stale map costs a hop, never a wrong write). */
export const SHARD_MAP_MAX_AGE_MS = 60_000;
/** How long opening a connection to a node may take: a node the metadata names but Purse cannot reach is left to the coordinator, not waited for. */
const NODE_CONNECT_TIMEOUT_MS = 3_000;

/**
 * Pools to the nodes of a Citus cluster, so that a customer's write goes straight
 * to the node holding the customer's shard instead of through the coordinator
 * (which would plan it, send it on and relay the answer). Each pool connects as
 * the coordinator's URL does, with the node's host and port from the metadata;
 * a node that cannot be reached is left to the coordinator.
 */
export class CitusNodes {
  private readonly pools = new Map<string, pg.Pool>();
  private map: ShardMap = new ShardMap([]);
  private readAt = -Infinity;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly coordinator: pg.Pool,
    private readonly url: string,
    private readonly poolOptions: pg.PoolConfig,
    private readonly onIdleError?: (err: Error) => void,
  ) {}

  /**
   * Reads the map again when it is older than {@link SHARD_MAP_MAX_AGE_MS}; the
   * lookups below use it as read. Only the first read is waited for: later ones
   * run beside the writes, which go on with the map they have (a stale one costs
   * a hop), so a slow coordinator or a node that does not answer never holds a
   * write up for more than the first read.
   */
  fresh(): Promise<void> {
    if (performance.now() - this.readAt < SHARD_MAP_MAX_AGE_MS) return Promise.resolve();
    this.reading ??= this.read().finally(() => {
      this.readAt = performance.now();
      this.reading = null;
    });
    return this.readAt === -Infinity ? this.reading : Promise.resolve();
  }

  /** The pool of the node holding `value`'s shard of `table`, or the coordinator's. */
  poolFor(table: RoutedTable, value: string): pg.Pool {
    const node = this.map.nodeOf(table, value);
    return (node !== null && this.pools.get(node)) || this.coordinator;
  }

  /** Whether a customer's shard and a generation id's row are on one node (as the map last read them). */
  sameNode(customerId: string, generationId: string): boolean {
    const node = this.map.nodeOf('customers', customerId);
    return node !== null && node === this.map.nodeOf('generation_ids', generationId);
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end()));
    this.pools.clear();
  }

  private async read(): Promise<void> {
    let rows: { table: string; min: string; max: string; nodename: string; nodeport: number }[];
    try {
      rows = (await this.coordinator.query(SHARD_MAP_SQL)).rows;
    } catch {
      return; // Kept as it was: the coordinator takes what the map cannot place.
    }
    const placements = rows.map((r) => ({ table: r.table, min: Number(r.min), max: Number(r.max), node: `${r.nodename}:${r.nodeport}` }));
    for (const node of new Set(placements.map((p) => p.node))) {
      if (this.pools.has(node)) continue;
      const pool = new pg.Pool({ connectionTimeoutMillis: NODE_CONNECT_TIMEOUT_MS, ...this.poolOptions, connectionString: nodeUrl(this.url, node) });
      pool.on('error', (err) => this.onIdleError?.(err));
      try {
        await pool.query('SELECT 1');
        this.pools.set(node, pool);
      } catch {
        await pool.end().catch(() => {});
      }
    }
    this.map = new ShardMap(placements.filter((p) => this.pools.has(p.node)));
  }
}

/** The coordinator's URL with a node's host and port. */
function nodeUrl(url: string, node: string): string {
  const u = new URL(url);
  const i = node.lastIndexOf(':');
  u.hostname = node.slice(0, i);
  u.port = node.slice(i + 1);
  return u.toString();
}
