import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
let lastMs = 0;
let counter = 0;

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
  let rand = '';
  for (const b of randomBytes(10)) rand += ALPHABET[b % 32];
  return `${prefix}_${time}${seq}${rand}`;
}
