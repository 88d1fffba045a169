/** Where the service reads the time: the system clock, or a test clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock that stands still until moved, like Stripe's test clocks: billing
 * periods, expiries and hold timeouts follow it. It only moves forward.
 */
export class TestClock implements Clock {
  constructor(private current: number = Date.now()) {}

  now(): number {
    return this.current;
  }

  /** Moves to `to`; refuses to go back in time. */
  set(to: number): void {
    if (!Number.isSafeInteger(to) || to < this.current) throw new RangeError('the test clock only moves forward');
    this.current = to;
  }

  advance(seconds: number): void {
    this.set(this.current + Math.round(seconds * 1000));
  }
}
