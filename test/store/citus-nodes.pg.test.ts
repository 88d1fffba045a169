import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashText, ShardMap } from '../../src/store/postgres/citus-nodes.js';
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
