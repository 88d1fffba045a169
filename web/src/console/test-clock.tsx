import { useState } from 'react';
import { ApiError, request } from '../api/client';
import { ErrorNotice, Loading, Notice } from '../components/ui';
import { fullDateTime } from '@purse/react';
import { useAsync } from '../lib/use-async';
import { useTitle } from '../lib/use-title';

const STEPS = [
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
  { label: '31 days', seconds: 31 * 86_400 },
];

/** Reads the server's test clock; null when the server runs on the real clock (no PURSE_TEST_CLOCK=1). */
export async function readTestClock(): Promise<{ now: string } | null> {
  try {
    return await request<{ now: string }>('/v1/test-clock', { auth: 'key' });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** Moves the server's test clock forward, to see billing periods, expiries and hold timeouts happen. */
export function TestClockPage() {
  useTitle('Test clock');
  const clock = useAsync(readTestClock, []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const [moved, setMoved] = useState<string>();

  const advance = async (seconds: number, label: string) => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await request<{ now: string }>('/v1/test-clock', { method: 'POST', auth: 'key', body: { advanceSeconds: seconds } });
      setMoved(`Moved forward ${label}: it is now ${fullDateTime(r.now)}. Renewals and expiries that fell due have run.`);
      await clock.reload();
    } catch (err) {
      setError(err as Error);
    }
    setBusy(false);
  };

  if (clock.loading && !clock.data) return <Loading />;
  return (
    <div className="stack-lg">
      <h1>Test clock</h1>
      <ErrorNotice error={clock.error ?? error} />
      {clock.data === null && <Notice kind="info">This server runs on the real clock. Start it with PURSE_TEST_CLOCK=1 to move time forward here.</Notice>}
      {clock.data && (
        <section className="card stack" aria-labelledby="clock-now">
          <h2 id="clock-now" className="eyebrow">
            Server time
          </h2>
          <p className="big-number small-big" data-testid="test-clock-now">
            {fullDateTime(clock.data.now)}
          </p>
          <p className="muted">Billing periods, expiries and hold timeouts follow this clock. It only moves forward.</p>
          <div className="row wrap">
            {STEPS.map((s) => (
              <button key={s.seconds} type="button" className="btn btn-secondary" disabled={busy} onClick={() => void advance(s.seconds, s.label)}>
                + {s.label}
              </button>
            ))}
          </div>
          {moved && <Notice kind="success">{moved}</Notice>}
        </section>
      )}
    </div>
  );
}
