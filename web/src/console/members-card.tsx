import { DataTable, num } from '@purse/react';
import { useState } from 'react';
import { request, seg } from '../api/client';
import type { Member } from '../api/types';
import { ReasonDialog } from '../components/reason-dialog';
import { Notice } from '../components/ui';
import { useAsync } from '../lib/use-async';

/** A form field's text as a limit: empty is "not set", anything else must be a whole number ≥ 1. */
function parseLimit(label: string, text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${label} must be a whole number, at least 1 (or empty for none).`);
  return n;
}

const text = (n: number | undefined) => (n === undefined ? '' : String(n));
const usedOf = (used: number, cap: number | undefined) => (cap === undefined ? num(used) : `${num(used)} of ${num(cap)}`);

/**
 * A team's members in the console (issue 15): each one's usage this UTC day and
 * month against its own limits, and a form that sets a member's limits (and
 * role) with a reason. Shown only for customers that have members.
 */
export function MembersCard({ customerId, version }: { customerId: string; version: number }) {
  const { data, error, reload } = useAsync(() => request<{ data: Member[] }>(`/v1/customers/${seg(customerId)}/members`, { auth: 'key' }), [customerId, version]);
  const [editing, setEditing] = useState<Member | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string>();
  if (error) return null;
  const members = data?.data ?? [];
  if (members.length === 0) return null;
  const open = (m: Member) => {
    setFields({ daily: text(m.limits?.daily), monthly: text(m.limits?.monthly), role: m.role });
    setSaved(undefined);
    setEditing(m);
  };
  const set = (key: string) => (e: { target: { value: string } }) => setFields((f) => ({ ...f, [key]: e.target.value }));

  return (
    <section className="card stack" aria-labelledby="members-heading" data-testid="members-card">
      <h2 id="members-heading">Members</h2>
      <p className="muted small">Every member spends from this customer's balance, within its own limits and the team's. Days and months are UTC.</p>
      {saved && <Notice kind="success">{saved}</Notice>}
      <DataTable
        caption="Members"
        filename={`members-${customerId}`}
        testId="members"
        rowTestId="member-row"
        rows={members}
        rowKey={(m) => m.id}
        columns={[
          { header: 'Member', cell: (m) => <code className="id">{m.id}</code>, csv: (m) => m.id },
          { header: 'Name', cell: (m) => m.name ?? '', csv: (m) => m.name ?? '' },
          { header: 'Role', cell: (m) => m.role, csv: (m) => m.role },
          { header: 'Today', numeric: true, cell: (m) => usedOf(m.used.day, m.limits?.daily), csv: (m) => m.used.day },
          { header: 'This month', numeric: true, cell: (m) => usedOf(m.used.month, m.limits?.monthly), csv: (m) => m.used.month },
          { header: 'Daily limit', numeric: true, cell: (m) => (m.limits?.daily === undefined ? 'none' : num(m.limits.daily)), csv: (m) => m.limits?.daily ?? '' },
          { header: 'Monthly limit', numeric: true, cell: (m) => (m.limits?.monthly === undefined ? 'none' : num(m.limits.monthly)), csv: (m) => m.limits?.monthly ?? '' },
          { header: 'State', cell: (m) => (m.removedAt ? 'removed' : 'member'), csv: (m) => (m.removedAt ? 'removed' : 'member') },
          {
            header: 'Actions',
            csv: () => '',
            cell: (m) =>
              m.removedAt ? null : (
                <button type="button" className="btn btn-ghost btn-sm" onClick={() => open(m)} aria-label={`Edit member ${m.id}`} data-testid={`member-edit-${m.id}`}>
                  Edit
                </button>
              ),
          },
        ]}
      />
      {editing && (
        <ReasonDialog
          title={`Edit member ${editing.id}`}
          description="The member's own limits, whole: a field left empty is no limit of its own (the team's limits still apply)."
          confirmLabel="Save member"
          onClose={() => setEditing(null)}
          onConfirm={async (reason) => {
            const daily = parseLimit('Credits per day', fields.daily ?? '');
            const monthly = parseLimit('Credits per month', fields.monthly ?? '');
            const limits = { ...(daily !== undefined ? { daily } : {}), ...(monthly !== undefined ? { monthly } : {}) };
            await request(`/v1/customers/${seg(customerId)}/members/${seg(editing.id)}`, { method: 'PUT', auth: 'key', body: { limits, role: fields.role, reason } });
            await reload();
            setSaved(`Member ${editing.id} saved.`);
          }}
        >
          <div className="row wrap">
            <label className="field grow">
              <span>Credits per day</span>
              <input name="daily" inputMode="numeric" value={fields.daily ?? ''} onChange={set('daily')} placeholder="none" />
            </label>
            <label className="field grow">
              <span>Credits per month</span>
              <input name="monthly" inputMode="numeric" value={fields.monthly ?? ''} onChange={set('monthly')} placeholder="none" />
            </label>
            <label className="field grow">
              <span>Role</span>
              <select name="role" value={fields.role ?? 'member'} onChange={set('role')}>
                <option value="member">member</option>
                <option value="admin">admin (reads every member's usage)</option>
              </select>
            </label>
          </div>
        </ReasonDialog>
      )}
    </section>
  );
}
