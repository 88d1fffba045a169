import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ServiceContext } from './context.js';
import { errors } from './errors.js';
import { newId } from './ids.js';
import type { MemberRole } from '../domain/types.js';

/**
 * Who is calling: an operator or integrator with a secret key, or one customer's
 * front end — for a team, possibly one member's (issue 15), with its role as it is now.
 */
export type Principal =
  | { kind: 'secret'; keyId: string }
  | { kind: 'session'; customerId: string; expiresAt: number; member?: { id: string; role: MemberRole } };

const SECRET_PREFIX = 'sk_';
const SESSION_PREFIX = 'cs_';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Creates a secret API key. Only its hash is stored; the key itself is returned
 * once, here.
 */
export async function createApiKey(ctx: ServiceContext, name: string): Promise<{ id: string; key: string }> {
  const key = SECRET_PREFIX + randomBytes(24).toString('base64url');
  const id = newId('key');
  await ctx.store.insertApiKey({ id, name, prefix: key.slice(0, 7), hash: sha256(key), createdAt: ctx.clock.now(), revokedAt: null });
  return { id, key };
}

export interface AuthConfig {
  /** A key accepted besides the stored ones (PURSE_API_KEY). */
  envApiKey?: string;
  /** Signs customer sessions; every process sharing a database must use the same. */
  sessionSecret: Buffer;
}

/** The hash of PURSE_API_KEY, made once (the last key asked for) instead of on every request. */
let envKey: { key: string; hash: Buffer } | null = null;
function envKeyHash(key: string): Buffer {
  if (envKey?.key !== key) envKey = { key, hash: Buffer.from(sha256(key)) };
  return envKey.hash;
}

/** Resolves a bearer token to a principal, or refuses it. */
export async function authenticate(ctx: ServiceContext, config: AuthConfig, token: string | undefined): Promise<Principal> {
  if (!token) throw errors.unauthorized();
  if (token.startsWith(SESSION_PREFIX)) return withMember(ctx, verifySession(config, token, ctx.clock.now()));
  if (token.startsWith(SECRET_PREFIX)) {
    const hash = sha256(token);
    if (config.envApiKey && timingSafeEqual(Buffer.from(hash), envKeyHash(config.envApiKey))) return { kind: 'secret', keyId: 'env' };
    const record = await ctx.store.findApiKeyByHash(hash);
    if (record && record.revokedAt === null) return { kind: 'secret', keyId: record.id };
  }
  throw errors.unauthorized('the API key is not valid');
}

/** The longest a customer session may live. */
export const MAX_SESSION_SECONDS = 86_400;

/** How far apart the clocks of two processes sharing a session secret may be. */
const SESSION_CLOCK_SKEW_MS = 60_000;

/**
 * Mints a customer session: a token signed with HMAC-SHA256 that names one
 * customer (and, for a team, one member) and an expiry, so any process with the
 * secret can check it offline.
 */
export function mintSession(config: AuthConfig, customerId: string, now: number, ttlSeconds: number, memberId?: string): { token: string; expiresAt: number } {
  const expiresAt = now + ttlSeconds * 1000;
  const payload = Buffer.from(JSON.stringify({ c: customerId, e: expiresAt, ...(memberId !== undefined ? { m: memberId } : {}) })).toString('base64url');
  return { token: `${SESSION_PREFIX}${payload}.${sign(config.sessionSecret, payload)}`, expiresAt };
}

function verifySession(config: AuthConfig, token: string, now: number): Principal {
  const [payload, signature] = token.slice(SESSION_PREFIX.length).split('.');
  if (!payload || !signature) throw errors.unauthorized('the customer session is not valid');
  const expected = Buffer.from(sign(config.sessionSecret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw errors.unauthorized('the customer session is not valid');
  let claims: { c?: unknown; e?: unknown; m?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw errors.unauthorized('the customer session is not valid');
  }
  if (typeof claims.c !== 'string' || typeof claims.e !== 'number' || (claims.m !== undefined && typeof claims.m !== 'string')) throw errors.unauthorized('the customer session is not valid');
  if (claims.e <= now) throw errors.unauthorized('the customer session has expired');
  // However it was signed, no session outlives the longest a session may live from now (give or take clock skew between processes).
  if (claims.e > now + MAX_SESSION_SECONDS * 1000 + SESSION_CLOCK_SKEW_MS) throw errors.unauthorized('the customer session is not valid');
  return { kind: 'session', customerId: claims.c, expiresAt: claims.e, ...(claims.m !== undefined ? { member: { id: claims.m as string, role: 'member' as const } } : {}) };
}

/**
 * A member's session is as good as its membership: once the member is removed
 * it is refused, and its role is read as it is now (an admin made a member
 * loses the team's reads at once).
 */
async function withMember(ctx: ServiceContext, principal: Principal): Promise<Principal> {
  if (principal.kind !== 'session' || !principal.member) return principal;
  const member = await ctx.store.getMember(principal.customerId, principal.member.id);
  if (!member || member.removedAt !== null) throw errors.unauthorized('the member of this session was removed from the team');
  return { ...principal, member: { id: member.id, role: member.role } };
}

function sign(secret: Buffer, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** The session-signing secret: PURSE_SESSION_SECRET, else one made once and kept in the database. */
export async function sessionSecret(ctx: ServiceContext, fromEnv: string | undefined): Promise<Buffer> {
  if (fromEnv) return Buffer.from(fromEnv, 'utf8');
  const stored = await ctx.store.getOrSetMeta('session_secret', () => randomBytes(32).toString('base64url'));
  return Buffer.from(stored, 'base64url');
}
