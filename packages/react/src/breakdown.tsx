import type { Balance, GrantSource } from './types';
import { date, num } from './format';

/**
 * "Learn more": where the balance comes from — plan credits and when they
 * reset, add-on credits that never expire, bonus credits and their expiry, and
 * credits held by running generations.
 */
export function Breakdown({ balance, planName }: { balance: Balance; planName?: string }) {
  const lines = (source: GrantSource) => balance.breakdown.filter((l) => l.source === source);
  const total = (source: GrantSource) => lines(source).reduce((s, l) => s + l.available, 0);
  const sub = balance.subscription;
  const expiries = (source: GrantSource) =>
    lines(source).every((l) => !l.expiresAt)
      ? 'Never expire'
      : lines(source)
      .map((l) => (l.expiresAt ? `${num(l.available)} expire on ${date(l.expiresAt)}` : `${num(l.available)} never expire`))
      .join('; ');

  const planHint = sub
    ? sub.cancelAtPeriodEnd
      ? `${planName ?? sub.planId} ends on ${date(sub.currentPeriodEnd)}`
      : `${planName ?? sub.planId} plan · resets on ${date(sub.currentPeriodEnd)}`
    : 'No plan';
  const rows: { key: string; label: string; value: number; hint: string }[] = [
    { key: 'plan', label: 'Plan credits', value: total('plan'), hint: planHint },
    { key: 'addon', label: 'Add-on credits', value: total('addon'), hint: lines('addon').some((l) => l.expiresAt) ? expiries('addon') : 'Never expire' },
    { key: 'bonus', label: 'Bonus credits', value: total('bonus'), hint: lines('bonus').length ? expiries('bonus') : 'None right now' },
  ];
  if (total('adjustment') > 0) rows.push({ key: 'adjustment', label: 'Adjustments', value: total('adjustment'), hint: expiries('adjustment') });
  rows.push({ key: 'reserved', label: 'Held by running generations', value: balance.reserved, hint: 'Charged when they complete, returned if they fail' });

  return (
    <dl className="breakdown" data-testid="breakdown">
      {rows.map((r) => (
        <div key={r.key} className="breakdown-row" data-testid={`breakdown-${r.key}`}>
          <dt>
            <span className={`dot dot-${r.key}`} aria-hidden="true" />
            {r.label}
            <small className="muted">{r.hint}</small>
          </dt>
          <dd>
            <span className="breakdown-value">{num(r.value)}</span>
          </dd>
        </div>
      ))}
    </dl>
  );
}
