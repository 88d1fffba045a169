import { num } from '@purse/react';
import type { LimitsState } from '../api/types';

type Sourced = LimitsState['effective']['daily'];

/** One limit in force as a row: what it caps, the limit, what is used of it, and whose it is. */
interface Row {
  key: string;
  what: string;
  limit: number;
  used: number;
  source: 'customer' | 'plan';
  unit: string;
}

/** The limits in force, flattened to rows (the in-flight cap first, then the customer's, then each tool's). */
export function limitRows(state: LimitsState, toolName: (id: string) => string): Row[] {
  const rows: Row[] = [];
  const add = (key: string, what: string, cap: Sourced, used: number, unit = 'credits') => {
    if (cap) rows.push({ key, what, limit: cap.value, used, source: cap.source, unit });
  };
  add('inflight', 'Generations running at once', state.effective.maxInFlight, state.inFlight, 'generations');
  add('day', 'Credits per day', state.effective.daily, state.used.day);
  add('month', 'Credits per month', state.effective.monthly, state.used.month);
  for (const [toolId, caps] of Object.entries(state.effective.tools)) {
    const used = state.used.tools[toolId] ?? { day: 0, month: 0 };
    add(`${toolId}-day`, `${toolName(toolId)} per day`, caps.daily, used.day);
    add(`${toolId}-month`, `${toolName(toolId)} per month`, caps.monthly, used.month);
  }
  return rows;
}

/**
 * The spend limits with what is used of each: a meter per limit, for the
 * customer's credits page and the console alike. Days and months are UTC.
 */
export function SpendLimits({ state, toolName = (id) => id, showSource = false }: { state: LimitsState; toolName?: (id: string) => string; showSource?: boolean }) {
  const rows = limitRows(state, toolName);
  if (rows.length === 0) return <p className="muted" data-testid="limits-none">No spending limits.</p>;
  return (
    <ul className="stack limits" data-testid="limits">
      {rows.map((r) => {
        const share = Math.min(100, Math.round((r.used / r.limit) * 100));
        return (
          <li key={r.key} className="stack-sm" data-testid="limit-row">
            <div className="row between wrap">
              <span>
                {r.what}
                {showSource && <span className="muted small"> · {r.source === 'plan' ? "plan's" : 'own'}</span>}
              </span>
              <span className="small" data-testid={`limit-${r.key}`}>
                {num(r.used)} of {num(r.limit)} {r.unit}
              </span>
            </div>
            <div className="progress" role="meter" aria-label={r.what} aria-valuemin={0} aria-valuemax={r.limit} aria-valuenow={Math.min(r.used, r.limit)}>
              <div style={{ width: `${share}%` }} />
            </div>
          </li>
        );
      })}
      <li className="muted small">Days and months are counted in UTC; credits given back (failed or refunded generations) stop counting.</li>
    </ul>
  );
}
