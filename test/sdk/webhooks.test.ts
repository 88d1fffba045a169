import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from '../../sdk/src/index.js';

// Signatures are made here by hand from the Standard Webhooks text, and by the
// reference library's own signer: verifyWebhook must accept both and refuse the rest.
const key = randomBytes(24);
const secret = `whsec_${key.toString('base64')}`;
const body = JSON.stringify({ id: 'evt_1', type: 'credits.low', createdAt: '2026-11-25T17:00:00.000Z', customerId: 'u_42', data: { available: 9 } });
const now = Math.floor(Date.now() / 1000);

function sign(id: string, timestamp: number, payload: string | Buffer, k: Buffer = key): string {
  const mac = createHmac('sha256', k).update(`${id}.${timestamp}.`).update(payload).digest('base64');
  return `v1,${mac}`;
}
function headers(id: string, timestamp: number, signature: string): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
}
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookVerificationError);
    return (err as WebhookVerificationError).reason;
  }
  throw new Error('verifyWebhook accepted what it should refuse');
}

describe('verifyWebhook', () => {
  it('accepts a signature made by hand and returns the event', () => {
    const event = verifyWebhook(body, headers('msg_1', now, sign('msg_1', now, body)), secret);
    expect(event).toEqual(JSON.parse(body));
    expect(event.type).toBe('credits.low');
  });

  it("accepts the reference library's signature, and the library accepts what we accept", () => {
    const signer = new Webhook(secret);
    const signature = signer.sign('msg_lib', new Date(now * 1000), body);
    expect(signature).toBe(sign('msg_lib', now, body));
    const h = headers('msg_lib', now, signature);
    expect(verifyWebhook(body, h, secret)).toEqual(signer.verify(body, h));
  });

  it('takes the body as bytes, and headers from a Fetch Headers object or in any case', () => {
    const bytes = new TextEncoder().encode(body);
    const sig = sign('msg_2', now, body);
    expect(verifyWebhook(bytes, new Headers(headers('msg_2', now, sig)), secret).id).toBe('evt_1');
    expect(verifyWebhook(Buffer.from(body), { 'Webhook-Id': 'msg_2', 'WEBHOOK-TIMESTAMP': String(now), 'Webhook-Signature': [sig] }, secret).id).toBe('evt_1');
  });

  it('accepts any v1 signature of several (a secret being rotated)', () => {
    const other = randomBytes(24);
    const list = `v1,${createHmac('sha256', other).update('x').digest('base64')} ${sign('msg_3', now, body)}`;
    expect(verifyWebhook(body, headers('msg_3', now, list), secret).id).toBe('evt_1');
  });

  it('refuses a changed body, id or timestamp, another secret, another version, and a missing header', () => {
    const sig = sign('msg_4', now, body);
    expect(refusal(() => verifyWebhook(body.replace('9', '90'), headers('msg_4', now, sig), secret))).toBe('bad_signature');
    expect(refusal(() => verifyWebhook(body, headers('msg_5', now, sig), secret))).toBe('bad_signature');
    expect(refusal(() => verifyWebhook(body, headers('msg_4', now - 1, sig), secret))).toBe('bad_signature');
    expect(refusal(() => verifyWebhook(body, headers('msg_4', now, sig), `whsec_${randomBytes(24).toString('base64')}`))).toBe('bad_signature');
    expect(refusal(() => verifyWebhook(body, headers('msg_4', now, sig.replace('v1,', 'v2,')), secret))).toBe('bad_signature');
    expect(refusal(() => verifyWebhook(body, headers('msg_4', now, `${sig}AA`), secret))).toBe('bad_signature');
    const { 'webhook-id': _omitted, ...noId } = headers('msg_4', now, sig);
    expect(refusal(() => verifyWebhook(body, noId, secret))).toBe('missing_header');
  });

  it('refuses a timestamp outside the window (5 minutes by default, either way) and one that is not a number', () => {
    for (const [offset, reason] of [
      [-301, 'timestamp_too_old'],
      [301, 'timestamp_too_new'],
    ] as const) {
      const ts = now + offset;
      expect(refusal(() => verifyWebhook(body, headers('msg_6', ts, sign('msg_6', ts, body)), secret, { now: now * 1000 }))).toBe(reason);
    }
    for (const offset of [-299, 299]) {
      const ts = now + offset;
      expect(verifyWebhook(body, headers('msg_6', ts, sign('msg_6', ts, body)), secret, { now: now * 1000 }).id).toBe('evt_1');
    }
    const old = now - 3600;
    const h = headers('msg_7', old, sign('msg_7', old, body));
    expect(refusal(() => verifyWebhook(body, h, secret))).toBe('timestamp_too_old');
    expect(verifyWebhook(body, h, secret, { toleranceSeconds: 7200 }).id).toBe('evt_1');
    expect(verifyWebhook(body, h, secret, { now: new Date(old * 1000) }).id).toBe('evt_1');
    expect(refusal(() => verifyWebhook(body, { ...h, 'webhook-timestamp': '2026-11-25T17:00:00Z' }, secret))).toBe('bad_timestamp');
  });

  it('refuses an empty secret', () => {
    expect(() => verifyWebhook(body, headers('msg_8', now, sign('msg_8', now, body)), 'whsec_')).toThrow(TypeError);
  });
});
