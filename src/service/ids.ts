import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
let lastMs = 0;
let counter = 0;
// Randomness is drawn in blocks: one call to the system per 409 ids, not one per id.
const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomChars(n: number): string {
  if (offset + n > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHABET[pool[offset + i]! % 32];
  offset += n;
  return out;
}

/**
 * A new id such as `gen_0kz3m8q1c4a9f2tx7h5p`: a prefix, the time, a counter and
 * randomness, so ids sort by creation within one process and never collide.
 */
export function newId(prefix: string): string {
  const ms = Date.now();
  counter = ms === lastMs ? counter + 1 : 0;
  lastMs = ms;
  let time = '';
  for (let n = ms, i = 0; i < 9; i++, n = Math.floor(n / 32)) time = ALPHABET[n % 32] + time;
  const seq = ALPHABET[(counter >> 5) % 32]! + ALPHABET[counter % 32]!;
  return `${prefix}_${time}${seq}${randomChars(10)}`;
}
