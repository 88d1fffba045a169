import type { GrantSource, Money } from './types';

const numberFormat = new Intl.NumberFormat('en-US');

/** "1,250 credits", "1 credit". */
export function credits(n: number): string {
  return `${numberFormat.format(n)} ${Math.abs(n) === 1 ? 'credit' : 'credits'}`;
}

export const num = (n: number): string => numberFormat.format(n);

/** Prices are in the currency's minor unit (cents), as Stripe does. */
export function money(m: Money): string {
  const currency = m.currency.toUpperCase();
  try {
    const f = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
    return f.format(m.amount / 10 ** digits);
  } catch {
    return `${(m.amount / 100).toFixed(2)} ${currency}`;
  }
}

/** "images" for unit "image"; per-generation tools have no unit to show. */
export function plural(unit: string, n = 2): string {
  if (n === 1) return unit;
  if (/(s|x|ch|sh)$/.test(unit)) return `${unit}es`;
  if (/[^aeiou]y$/.test(unit)) return `${unit.slice(0, -1)}ies`;
  return `${unit}s`;
}

/** "4 credits per image" or "10 credits". */
export function toolCost(t: { credits: number; unit: string }): string {
  return t.unit === 'generation' ? credits(t.credits) : `${credits(t.credits)} per ${t.unit}`;
}

const dateFormat = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
const dateTimeFormat = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', hour12: false });

/** Dates are shown in UTC, as the API keeps them, so support and users read the same day. */
export const date = (iso: string | null): string => (iso ? dateFormat.format(new Date(iso)) : '—');
export const dateTime = (iso: string | null): string => (iso ? `${dateTimeFormat.format(new Date(iso))} UTC` : '—');
/** With the year, where the year is news (the test clock). */
export const fullDateTime = (iso: string): string => `${date(iso)}, ${new Date(iso).toISOString().slice(11, 16)} UTC`;

export const SOURCE_LABEL: Record<GrantSource, string> = {
  plan: 'Plan credits',
  addon: 'Add-on credits',
  bonus: 'Bonus credits',
  adjustment: 'Adjustments',
};

export function percent(x: number | null): string {
  if (x === null) return '—';
  const p = x * 100;
  return `${Number.isInteger(Math.round(p * 10) / 10) ? Math.round(p) : p.toFixed(1)}%`;
}

export function periodLabel(period: string): string {
  return { day: 'day', week: 'week', month: 'month', year: 'year' }[period] ?? period;
}
