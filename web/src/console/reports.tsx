import { useState } from 'react';
import { request } from '../api/client';
import type { CreditsDay, MemberSpend, Outstanding, Pricing, RevenueReport, ToolReport } from '../api/types';
import { BarChart, ColumnChart } from '../components/bar-chart';
import { DataTable, money, num, percent, SOURCE_LABEL } from '@purse/react';
import { ErrorNotice, Loading, Stat } from '../components/ui';
import { useAsync } from '../lib/use-async';
import { useTitle } from '../lib/use-title';

const DAY_MS = 86_400_000;
const COLORS = { issued: '#5b3fd6', spent: '#0f7d80', refunded: '#c26a00', expired: '#b4235a', voided: '#6b7280' };
const MONEY_COLORS = { revenue: '#0f7d80', refunds: '#c26a00', breakage: '#b4235a', deferred: '#5b3fd6' };
const RANGES = [7, 30, 90] as const;

interface Reports {
  days: CreditsDay[];
  totals: Omit<CreditsDay, 'date'>;
  tools: ToolReport[];
  members: MemberSpend[];
  outstanding: Outstanding;
  range: { from?: string; to?: string };
}

/**
 * Reads the reports for the last `days` days of the server's clock (which may
 * be a test clock): the server's default range tells where "today" is.
 */
async function load(days: number): Promise<Reports> {
  const first = await request<{ days: CreditsDay[]; totals: Reports['totals'] }>('/v1/reports/credits', { auth: 'key' });
  let credits = first;
  let range: { from?: string; to?: string } = {};
  if (days !== first.days.length && first.days.length) {
    const to = Date.parse(`${first.days[first.days.length - 1]!.date}T00:00:00Z`) + DAY_MS;
    range = { from: new Date(to - days * DAY_MS).toISOString(), to: new Date(to).toISOString() };
    credits = await request('/v1/reports/credits', { auth: 'key', query: range });
  } else if (first.days.length) {
    range = { from: `${first.days[0]!.date}T00:00:00.000Z`, to: new Date(Date.parse(`${first.days[first.days.length - 1]!.date}T00:00:00Z`) + DAY_MS).toISOString() };
  }
  const [tools, members, outstanding] = await Promise.all([
    request<{ tools: ToolReport[] }>('/v1/reports/tools', { auth: 'key', query: range }),
    request<{ members: MemberSpend[] }>('/v1/reports/members', { auth: 'key', query: range }),
    request<Outstanding>('/v1/reports/outstanding', { auth: 'key' }),
  ]);
  return { days: credits.days, totals: credits.totals, tools: tools.tools, members: members.members, outstanding, range };
}

/** The currencies the catalog prices in, so the books can be read in each; usd when it prices nothing. */
async function currencies(): Promise<string[]> {
  const pricing = await request<Pricing>('/v1/pricing');
  const all = new Set([...pricing.plans, ...pricing.packs].map((p) => p.price.currency));
  return all.size ? [...all].sort() : ['usd'];
}

/**
 * The books in money (Rule 19) over the page's range in one currency: revenue
 * recognised, purchase refunds and breakage per day, and deferred revenue at each day's end.
 */
function RevenueSection({ range, days }: { range: { from?: string; to?: string }; days: number }) {
  const choices = useAsync(currencies, []);
  const [picked, setPicked] = useState<string | null>(null);
  const currency = picked ?? choices.data?.[0] ?? null;
  const report = useAsync(
    () => (currency ? request<RevenueReport>('/v1/reports/revenue', { auth: 'key', query: { ...range, currency } }) : Promise.resolve(null)),
    [currency, range.from, range.to],
  );
  const r = report.data;
  const m = (amount: number) => (currency ? money({ amount, currency }) : num(amount));
  return (
    <section className="card stack" aria-labelledby="r-money">
      <div className="row between wrap">
        <h2 id="r-money">Revenue and deferred revenue</h2>
        {choices.data && (
          <label className="field inline-field">
            <span>Currency</span>
            <select value={currency ?? ''} onChange={(e) => setPicked(e.target.value)} data-testid="revenue-currency">
              {choices.data.map((c) => (
                <option key={c} value={c}>
                  {c.toUpperCase()}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <p className="muted">
        Each credit carries what it cost the customer: a pack&apos;s price ÷ its credits, a plan period&apos;s price ÷ its credits, nothing for bonus and adjustment
        credits. Spending recognises revenue, expiry is breakage, a refunded purchase gives back what was deferred. Paid in = revenue + breakage + refunds + deferred.
      </p>
      <ErrorNotice error={choices.error ?? report.error} />
      {!r && (choices.loading || report.loading) && <Loading />}
      {r && (
        <>
          <div className="stats">
            <Stat label="Revenue" value={m(r.totals.revenue)} hint={`recognised in ${days} days, ${m(r.totals.reversed)} reversed`} testId="revenue-total" />
            <Stat label="Breakage" value={m(r.totals.breakage)} hint="paid credits expired or voided" />
            <Stat label="Refunds" value={m(r.totals.refunds)} hint="deferred money of refunded purchases" />
            <Stat label="Deferred" value={m(r.totals.deferred)} hint="unspent paid credits now" testId="revenue-deferred" />
          </div>
          <ColumnChart
            title={`Revenue, refunds and breakage per day in ${r.currency.toUpperCase()}, last ${days} days`}
            summary={`Over ${r.days.length} days: ${m(r.totals.paidIn)} paid in, ${m(r.totals.revenue)} revenue, ${m(r.totals.refunds)} refunds, ${m(r.totals.breakage)} breakage; ${m(r.totals.deferred)} deferred at the end.`}
            labels={r.days.map((d) => d.date)}
            format={m}
            series={(['revenue', 'refunds', 'breakage'] as const).map((k) => ({ key: k, label: k[0]!.toUpperCase() + k.slice(1), color: MONEY_COLORS[k], values: r.days.map((d) => Math.max(0, d[k])) }))}
          />
          <DataTable
            caption={`Revenue per day, ${r.currency.toUpperCase()} (minor units in CSV)`}
            filename={`revenue-${r.currency}-${days}d`}
            testId="report-revenue"
            tall
            rows={[...r.days].reverse()}
            rowKey={(d) => d.date}
            columns={[
              { header: 'Date', cell: (d) => d.date },
              { header: 'Paid in', numeric: true, cell: (d) => m(d.paidIn), csv: (d) => d.paidIn },
              { header: 'Revenue', numeric: true, cell: (d) => m(d.revenue), csv: (d) => d.revenue },
              { header: 'Reversed', numeric: true, cell: (d) => m(d.reversed), csv: (d) => d.reversed },
              { header: 'Refunds', numeric: true, cell: (d) => m(d.refunds), csv: (d) => d.refunds },
              { header: 'Breakage', numeric: true, cell: (d) => m(d.breakage), csv: (d) => d.breakage },
              { header: 'Deferred', numeric: true, cell: (d) => m(d.deferred), csv: (d) => d.deferred },
            ]}
          />
        </>
      )}
    </section>
  );
}

/** Finance and support reports: credits per day, spend and failures per tool, what is still owed. */
export function ReportsPage() {
  useTitle('Reports');
  const [days, setDays] = useState<number>(30);
  const { data, error, loading } = useAsync(() => load(days), [days]);

  return (
    <div className="stack-lg">
      <div className="row between wrap">
        <h1>Reports</h1>
        <label className="field inline-field">
          <span>Range</span>
          <select value={days} onChange={(e) => setDays(Number(e.target.value))} data-testid="report-range">
            {RANGES.map((r) => (
              <option key={r} value={r}>
                Last {r} days
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice error={error} />
      {!data && loading && <Loading />}
      {data && (
        <>
          <div className="stats">
            <Stat label="Issued" value={num(data.totals.issued)} hint={`credits in ${days} days`} />
            <Stat label="Spent" value={num(data.totals.spent)} hint="charged for generations" />
            <Stat label="Refunded" value={num(data.totals.refunded)} hint="given back after completion" />
            <Stat label="Expired" value={num(data.totals.expired)} hint={`and ${num(data.totals.voided)} voided`} />
            <Stat label="Outstanding" value={num(data.outstanding.total)} hint="owed to customers now" testId="outstanding-total" />
          </div>

          <section className="card stack" aria-labelledby="r-days">
            <h2 id="r-days">Credits per day</h2>
            <ColumnChart
              title={`Credits issued, spent, refunded and expired per day, last ${days} days`}
              summary={`Over ${data.days.length} days: ${num(data.totals.issued)} issued, ${num(data.totals.spent)} spent, ${num(data.totals.refunded)} refunded, ${num(data.totals.expired)} expired.`}
              labels={data.days.map((d) => d.date)}
              series={(['issued', 'spent', 'refunded', 'expired'] as const).map((k) => ({ key: k, label: k[0]!.toUpperCase() + k.slice(1), color: COLORS[k], values: data.days.map((d) => d[k]) }))}
            />
            <DataTable
              caption="Credits per day"
              filename={`credits-per-day-${days}d`}
              testId="report-days"
              tall
              rows={[...data.days].reverse()}
              rowKey={(d) => d.date}
              columns={[
                { header: 'Date', cell: (d) => d.date },
                { header: 'Issued', numeric: true, cell: (d) => num(d.issued), csv: (d) => d.issued },
                { header: 'Spent', numeric: true, cell: (d) => num(d.spent), csv: (d) => d.spent },
                { header: 'Refunded', numeric: true, cell: (d) => num(d.refunded), csv: (d) => d.refunded },
                { header: 'Expired', numeric: true, cell: (d) => num(d.expired), csv: (d) => d.expired },
                { header: 'Voided', numeric: true, cell: (d) => num(d.voided), csv: (d) => d.voided },
              ]}
            />
          </section>

          <RevenueSection range={data.range} days={days} />

          <div className="two-col">
            <section className="card stack" aria-labelledby="r-spend">
              <h2 id="r-spend">Spend per tool</h2>
              <BarChart
                title="Credits spent per tool"
                summary={data.tools.map((t) => `${t.name}: ${num(t.creditsCharged - t.creditsRefunded)} net`).join('; ') || 'No generations in this range.'}
                color={COLORS.spent}
                rows={data.tools.map((t) => ({ label: t.name, value: t.creditsCharged }))}
              />
              <DataTable
                caption="Spend per tool"
                filename={`spend-per-tool-${days}d`}
                testId="report-spend"
                rows={data.tools}
                rowKey={(t) => t.toolId}
                empty="No generations in this range."
                columns={[
                  { header: 'Tool', cell: (t) => t.name },
                  { header: 'Generations', numeric: true, cell: (t) => num(t.generations), csv: (t) => t.generations },
                  { header: 'Charged', numeric: true, cell: (t) => num(t.creditsCharged), csv: (t) => t.creditsCharged },
                  { header: 'Refunded', numeric: true, cell: (t) => num(t.creditsRefunded), csv: (t) => t.creditsRefunded },
                  { header: 'Net', numeric: true, cell: (t) => num(t.creditsCharged - t.creditsRefunded), csv: (t) => t.creditsCharged - t.creditsRefunded },
                ]}
              />
            </section>

            <section className="card stack" aria-labelledby="r-out">
              <h2 id="r-out">Outstanding credits by source</h2>
              <BarChart
                title="Credits still owed to customers, by source"
                summary={`${num(data.outstanding.total)} in all: ${data.outstanding.bySource.map((s) => `${s.source} ${num(s.available)}`).join(', ')}; ${num(data.outstanding.reserved)} held.`}
                color={COLORS.issued}
                rows={[...data.outstanding.bySource.map((s) => ({ label: SOURCE_LABEL[s.source as keyof typeof SOURCE_LABEL] ?? s.source, value: s.available })), { label: 'Held by generations', value: data.outstanding.reserved }]}
              />
              <DataTable
                caption="Outstanding credits by source"
                filename="outstanding-by-source"
                testId="report-outstanding"
                rows={[...data.outstanding.bySource, { source: 'reserved', available: data.outstanding.reserved }]}
                rowKey={(s) => s.source}
                columns={[
                  { header: 'Source', cell: (s) => (s.source === 'reserved' ? 'Held by generations' : (SOURCE_LABEL[s.source as keyof typeof SOURCE_LABEL] ?? s.source)), csv: (s) => s.source },
                  { header: 'Credits', numeric: true, cell: (s) => num(s.available), csv: (s) => s.available },
                ]}
              />
            </section>
          </div>

          <section className="card stack" aria-labelledby="r-fail">
            <h2 id="r-fail">Failed-generation rate per tool</h2>
            <BarChart
              title="Share of settled generations that failed, per tool"
              summary={data.tools.map((t) => `${t.name}: ${percent(t.failureRate)}`).join('; ') || 'No generations in this range.'}
              color={COLORS.expired}
              max={1}
              format={(v) => percent(v)}
              rows={data.tools.map((t) => ({ label: t.name, value: t.failureRate ?? 0 }))}
            />
            <DataTable
              caption="Failed-generation rate per tool"
              filename={`failure-rate-per-tool-${days}d`}
              testId="report-failures"
              rows={data.tools}
              rowKey={(t) => t.toolId}
              empty="No generations in this range."
              columns={[
                { header: 'Tool', cell: (t) => t.name },
                { header: 'Completed', numeric: true, cell: (t) => num(t.completed), csv: (t) => t.completed },
                { header: 'Failed', numeric: true, cell: (t) => num(t.failed), csv: (t) => t.failed },
                { header: 'Running', numeric: true, cell: (t) => num(t.reserved), csv: (t) => t.reserved },
                { header: 'Failure rate', numeric: true, cell: (t) => percent(t.failureRate), csv: (t) => (t.failureRate === null ? '' : t.failureRate.toFixed(4)) },
              ]}
            />
          </section>

          <section className="card stack" aria-labelledby="r-members">
            <h2 id="r-members">Spend per team member</h2>
            <DataTable
              caption="Spend per team member"
              filename={`spend-per-member-${days}d`}
              testId="report-members"
              rows={data.members}
              rowKey={(m) => `${m.customerId}/${m.memberId}`}
              empty="No team member spent in this range."
              columns={[
                { header: 'Team', cell: (m) => m.customerId, csv: (m) => m.customerId },
                { header: 'Member', cell: (m) => (m.name ? `${m.name} (${m.memberId})` : m.memberId), csv: (m) => m.memberId },
                { header: 'Generations', numeric: true, cell: (m) => num(m.generations), csv: (m) => m.generations },
                { header: 'Charged', numeric: true, cell: (m) => num(m.creditsCharged), csv: (m) => m.creditsCharged },
                { header: 'Refunded', numeric: true, cell: (m) => num(m.creditsRefunded), csv: (m) => m.creditsRefunded },
                { header: 'Net', numeric: true, cell: (m) => num(m.creditsSpent), csv: (m) => m.creditsSpent },
              ]}
            />
          </section>
        </>
      )}
    </div>
  );
}
