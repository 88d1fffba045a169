import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

/** One delivery the receiver took: its signature checked with the endpoint's secret. */
export interface Delivery {
  /** The `webhook-id` header: the event's id. */
  id: string;
  body: { id: string; type: string; customerId: string; [k: string]: unknown };
}

export interface Receiver {
  /** Where to point an endpoint. */
  url: string;
  /** Every delivery whose signature verified and whose 204 went back on a live connection, in order (repeats included). */
  received: Delivery[];
  /** Requests whose signature or body did not verify, with the reason. */
  rejected: string[];
  /** Requests that arrived and have not been answered yet. */
  inFlight(): number;
  /** Verified deliveries whose sender went away before the answer: not counted as received, they must come again. */
  cut(): number;
  /** The secret to verify with: the endpoint's, shown once when it is created. */
  setSecret(secret: string): void;
  close(): Promise<void>;
}

/**
 * An app's webhook route, in the test process: verifies every delivery with the
 * endpoint's secret through the `standardwebhooks` package (as a receiver
 * would), then answers 204 after `delayMs()` milliseconds. A delivery counts
 * as received only when that answer goes back on a live connection: one whose
 * sender died meanwhile is, for the sender, not delivered.
 */
export async function startReceiver(opts: { delayMs?: () => number } = {}): Promise<Receiver> {
  const received: Delivery[] = [];
  const rejected: string[] = [];
  let open = 0;
  let cut = 0;
  let secret = '';
  const server = createServer((req, res) => {
    open++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let delivery: Delivery | null = null;
      try {
        const body = new Webhook(secret.slice('whsec_'.length)).verify(raw, req.headers as Record<string, string>) as Delivery['body'];
        const id = String(req.headers['webhook-id']);
        if (body.id !== id) throw new Error(`body id ${body.id} is not the webhook-id ${id}`);
        delivery = { id, body };
      } catch (err) {
        rejected.push(String(err));
      }
      const answer = () => {
        open--;
        if (req.socket.destroyed) {
          if (delivery) cut++;
          return;
        }
        if (delivery) received.push(delivery);
        res.writeHead(delivery ? 204 : 400).end();
      };
      const delay = opts.delayMs?.() ?? 0;
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks`,
    received,
    rejected,
    inFlight: () => open,
    cut: () => cut,
    setSecret: (s) => void (secret = s),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
