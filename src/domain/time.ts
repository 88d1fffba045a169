/** Lengths of time in milliseconds, as Purse's clock (epoch milliseconds, UTC) counts them. */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
