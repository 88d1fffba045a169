import { afterEach, expect, it } from 'vitest';
import { systemClock } from '../../src/service/clock.js';
import type { ServiceContext } from '../../src/service/context.js';
import { startDeliveryWorker } from '../../src/service/webhooks.js';
import { MAX_EVENTS_MARKED, type DeliveryTurn, type Store } from '../../src/store/store.js';

/**
 * With no endpoint enabled, a delivery turn only marks events dispatched. The worker
 * then looks at the idle poll, not at every write's wake (on Citus each turn is a
 * search across every shard, and marking sooner sends nothing sooner), still
 * drains a backlog larger than a turn in one go, and turns eager again once an
 * endpoint is enabled.
 */
const POLL_MS = 200;

/** A store whose outbox holds `backlog` events; `endpoint` says whether one is enabled. */
function outbox() {
  const state = { backlog: 0, endpoint: false, turns: 0 };
  const store = {
    async deliveryTurn(): Promise<DeliveryTurn> {
      state.turns++;
      const dispatched = Math.min(state.backlog, MAX_EVENTS_MARKED);
      state.backlog -= dispatched;
      return { deliveries: [], events: new Map(), dispatched, ...(state.endpoint ? {} : { noEndpoint: true }) };
    },
  } as unknown as Store;
  return { state, ctx: { store, clock: systemClock } as ServiceContext };
}

let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('with no endpoint enabled, writes do not wake the worker: it marks at the idle poll, a backlog in one round', async () => {
  const { state, ctx } = outbox();
  const worker = startDeliveryWorker(ctx, { render: (e) => e, pollMs: POLL_MS });
  stop = worker.stop;
  state.backlog = 2 * MAX_EVENTS_MARKED + 5;
  await sleep(POLL_MS * 1.5);
  // One round: two full turns, the rest, and nothing is left.
  expect(state.backlog).toBe(0);
  const afterFirst = state.turns;
  expect(afterFirst).toBe(3);
  // A write's events and its wake, 40 times within one idle poll: not one turn more than the poll's.
  for (let i = 0; i < 40; i++) {
    state.backlog += 2;
    worker.wake();
    await sleep(POLL_MS / 50);
  }
  expect(state.turns - afterFirst).toBeLessThanOrEqual(2);
});

it('once an endpoint is enabled the worker is eager again: a wake makes a turn at once', async () => {
  const { state, ctx } = outbox();
  const worker = startDeliveryWorker(ctx, { render: (e) => e, pollMs: POLL_MS });
  stop = worker.stop;
  state.backlog = 3;
  await sleep(POLL_MS * 1.5);
  state.endpoint = true;
  state.backlog = 3;
  await sleep(POLL_MS * 1.2);
  // The idle poll's round found the endpoint; from now on a wake is a turn.
  const before = state.turns;
  for (let i = 0; i < 5; i++) {
    state.backlog += 1;
    worker.wake();
    await sleep(POLL_MS / 10);
  }
  expect(state.turns - before).toBeGreaterThanOrEqual(5);
});
