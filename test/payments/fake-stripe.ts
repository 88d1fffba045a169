import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Stripe's API on loopback: answers Checkout Session creation the
 * way Stripe does and records what the SDK sent, so the real `stripe` SDK can be
 * exercised with no network.
 */
export async function startFakeStripe() {
  const requests: { path: string; form: URLSearchParams; idempotencyKey: string | undefined }[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      requests.push({ path: req.url ?? '', form, idempotencyKey: req.headers['idempotency-key'] as string | undefined });
      if (req.method === 'POST' && req.url === '/v1/checkout/sessions') {
        const id = `cs_test_${++n}`;
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${n}` });
        res.end(JSON.stringify({ id, object: 'checkout.session', mode: form.get('mode'), url: `https://checkout.stripe.test/pay/${id}`, status: 'open' }));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: `no fake for ${req.method} ${req.url}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
