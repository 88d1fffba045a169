import type { Store } from '../store/store.js';

/** Where the service reads the time: the system clock, or a test clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

const META_KEY = 'test_clock_now';

/**
 * A clock that stands still until moved, like Stripe's test clocks: billing
 * periods, expiries and hold timeouts follow it. It only moves forward. Its time
 * is kept in the database, so every process on one database shares it; call
 * `sync` before work that reads it.
 */
export class TestClock implements Clock {
  constructor(
    private current: number = Date.now(),
    private readonly store: Store | null = null,
  ) {}

  now(): number {
    return this.current;
  }

  /**
   * Starts from the stored time if another process set one, else stores this
   * one. The stored time wins even when it is earlier than this process's: two
   * processes started a few seconds apart must not run a few seconds apart (a
   * hold reserved on the later one would outlast an advance made on the other).
   */
  async start(): Promise<void> {
    if (!this.store) return;
    this.current = Number(await this.store.getOrSetMeta(META_KEY, () => String(this.current)));
  }

  /** Takes up the time another process may have set. */
  async sync(): Promise<void> {
    if (!this.store) return;
    const stored = Number(await this.store.getMeta(META_KEY));
    if (stored > this.current) this.current = stored;
  }

  /** Moves to `to`; refuses to go back in time. */
  async set(to: number): Promise<void> {
    await this.sync();
    if (!Number.isSafeInteger(to) || to < this.current) throw new RangeError('the test clock only moves forward');
    this.current = to;
    await this.store?.setMeta(META_KEY, String(to));
  }

  async advance(seconds: number): Promise<void> {
    await this.sync();
    await this.set(this.current + Math.round(seconds * 1000));
  }
}
