import { useState } from 'react';
import { request, seg } from '../api/client';
import type { Limits, LimitsState, Tool } from '../api/types';
import { ReasonDialog } from '../components/reason-dialog';
import { SpendLimits } from '../components/spend-limits';
import { Notice } from '../components/ui';

/** A form field's text as a limit: empty is "not set", anything else must be a whole number ≥ 1. */
function parseLimit(label: string, text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${label} must be a whole number, at least 1 (or empty for none).`);
  return n;
}

const text = (n: number | undefined) => (n === undefined ? '' : String(n));

/**
 * The customer's spend limits in the console: each limit in force (its own or
 * its plan's) with what is used, and a form that sets its own limits with a
 * reason, as the console's other changes are made.
 */
export function LimitsCard({ customerId, state, tools, onSaved }: { customerId: string; state: LimitsState; tools: Tool[]; onSaved: () => Promise<void> }) {
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const [fields, setFields] = useState<Record<string, string>>({});
  const toolName = (id: string) => tools.find((t) => t.id === id)?.name ?? id;
  const open = () => {
    const own: Limits = state.own ?? {};
    const f: Record<string, string> = { daily: text(own.daily), monthly: text(own.monthly), maxInFlight: text(own.maxInFlight) };
    for (const t of tools) {
      f[`${t.id}.daily`] = text(own.tools?.[t.id]?.daily);
      f[`${t.id}.monthly`] = text(own.tools?.[t.id]?.monthly);
    }
    setFields(f);
    setSaved(false);
    setEditing(true);
  };
  const set = (key: string) => (e: { target: { value: string } }) => setFields((f) => ({ ...f, [key]: e.target.value }));
  const input = (key: string, label: string) => (
    <label className="field grow" key={key}>
      <span>{label}</span>
      <input name={key} inputMode="numeric" value={fields[key] ?? ''} onChange={set(key)} placeholder="none" />
    </label>
  );

  return (
    <section className="card stack" aria-labelledby="limits-heading" data-testid="limits-card">
      <h2 id="limits-heading">Spending limits</h2>
      {saved && <Notice kind="success">Limits saved.</Notice>}
      <SpendLimits state={state} toolName={toolName} showSource />
      {state.reason && <p className="muted small break">Reason for the last change: {state.reason}</p>}
      <div>
        <button type="button" className="btn btn-secondary" onClick={open} data-testid="limits-open">
          Set limits
        </button>
      </div>
      {editing && (
        <ReasonDialog
          title="Set spending limits"
          description={`These replace ${customerId}'s own limits. A field left empty takes the plan's limit, if its plan sets one.`}
          confirmLabel="Save limits"
          onClose={() => setEditing(false)}
          onConfirm={async (reason) => {
            const body: Limits & { reason: string } = { reason };
            const daily = parseLimit('Credits per day', fields.daily ?? '');
            const monthly = parseLimit('Credits per month', fields.monthly ?? '');
            const maxInFlight = parseLimit('Generations at once', fields.maxInFlight ?? '');
            if (daily !== undefined) body.daily = daily;
            if (monthly !== undefined) body.monthly = monthly;
            if (maxInFlight !== undefined) body.maxInFlight = maxInFlight;
            for (const t of tools) {
              const d = parseLimit(`${t.name} per day`, fields[`${t.id}.daily`] ?? '');
              const m = parseLimit(`${t.name} per month`, fields[`${t.id}.monthly`] ?? '');
              if (d !== undefined || m !== undefined) (body.tools ??= {})[t.id] = { ...(d !== undefined ? { daily: d } : {}), ...(m !== undefined ? { monthly: m } : {}) };
            }
            await request(`/v1/customers/${seg(customerId)}/limits`, { method: 'PUT', auth: 'key', body });
            await onSaved();
            setSaved(true);
          }}
        >
          <div className="row wrap">
            {input('daily', 'Credits per day')}
            {input('monthly', 'Credits per month')}
            {input('maxInFlight', 'Generations at once')}
          </div>
          {tools.length > 0 && (
            <details>
              <summary>Per tool</summary>
              <div className="stack">
                {tools.map((t) => (
                  <div className="row wrap" key={t.id}>
                    {input(`${t.id}.daily`, `${t.name} per day`)}
                    {input(`${t.id}.monthly`, `${t.name} per month`)}
                  </div>
                ))}
              </div>
            </details>
          )}
        </ReasonDialog>
      )}
    </section>
  );
}
