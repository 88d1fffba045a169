import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CitusNodes, hashText, SHARD_MAP_MAX_AGE_MS, ShardMap } from '../../src/store/postgres/citus-nodes.js';
import { ADMIN_URL } from '../pg.js';

/**
 * The write engine sends a customer's write straight to the node holding its
 * shard, found by hashing the customer's id as Citus does (PostgreSQL's own
 * hashtext): a wrong hash would not write anything wrong (any node sends a
 * statement on), but would cost every write a hop.
 */
describe('routing a write to its node (Citus)', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });

  it('hashes text as PostgreSQL’s hashtext does, every length and multi-byte characters', async () => {
    const values = ['', 'a', 'bench-1', 'customer:42@team.example', 'é', '日本語のテキスト', 'ab\u0000c'.replace('\u0000', ''), ...Array.from({ length: 60 }, (_, n) => `gen_${'xyzé'.repeat(n).slice(0, n)}`)];
    const { rows } = await client.query('SELECT v, hashtext(v) AS h FROM unnest($1::text[]) v', [values]);
    expect(rows.map((r) => hashText(r.v))).toEqual(rows.map((r) => r.h));
  });

  it('finds the node whose shard range holds the hash, and none outside the map', () => {
    const h = hashText('alice');
    const map = new ShardMap([
      { table: 'customers', min: -2147483648, max: h - 1, node: 'w1:5432' },
      { table: 'customers', min: h, max: h, node: 'w2:5432' },
      { table: 'customers', min: h + 1, max: 2147483647, node: 'w1:5432' },
    ]);
    expect(map.nodeOf('customers', 'alice')).toBe('w2:5432');
    expect(map.nodeOf('customers', 'bob')).toBe('w1:5432');
    expect(map.nodeOf('generation_ids', 'alice')).toBeNull();
    expect(map.nodes().sort()).toEqual(['w1:5432', 'w2:5432']);
  });
});

describe('the shard map never holds a write up for long', () => {
  /** A coordinator whose metadata names one node for every customer: `node`; `answer` stands for its query. */
  const coordinator = (node: string, answer: () => Promise<unknown> = async () => undefined) =>
    ({
      query: async () => {
        await answer();
        const [host, port] = node.split(':');
        return { rows: [{ table: 'customers', min: '-2147483648', max: '2147483647', nodename: host, nodeport: Number(port) }] };
      },
    }) as unknown as pg.Pool;

  it('leaves a node it cannot reach to the coordinator, after at most its connect timeout', async () => {
    // 10.255.255.1 does not answer (or is unreachable at once): either way the read ends, within the timeout.
    for (const node of ['127.0.0.1:1', '10.255.255.1:5432']) {
      const pool = coordinator(node);
      const nodes = new CitusNodes(pool, 'postgres://purse@127.0.0.1:5432/purse', { max: 1 });
      const started = performance.now();
      await nodes.fresh();
      expect(performance.now() - started).toBeLessThan(4_000);
      expect(nodes.poolFor('customers', 'alice')).toBe(pool);
      await nodes.close();
    }
  }, 10_000);

  it('reads the map again beside the writes: a slow coordinator does not hold one up', async () => {
    let slow = false;
    let release: () => void = () => {};
    const pool = coordinator('127.0.0.1:1', () => (slow ? new Promise<void>((r) => (release = r)) : Promise.resolve()));
    const nodes = new CitusNodes(pool, 'postgres://purse@127.0.0.1:5432/purse', { max: 1 });
    await nodes.fresh();
    slow = true;
    const now = performance.now();
    const clock = vi.spyOn(performance, 'now').mockReturnValue(now + SHARD_MAP_MAX_AGE_MS + 1);
    try {
      // The read has started and waits on the coordinator; the write goes on with the map it has.
      const answer = await Promise.race([nodes.fresh().then(() => 'went on'), new Promise((r) => setTimeout(() => r('held up'), 500))]);
      expect(answer).toBe('went on');
    } finally {
      clock.mockRestore();
      release();
      await nodes.close();
    }
  });
});
