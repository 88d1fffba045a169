import { DataTable, dateTime, num } from '@purse/react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'wouter';
import { EVENT_TYPES } from '../../../src/domain/events';
import { request, seg } from '../api/client';
import type { CreatedWebhookEndpoint, EventType, Page, WebhookDelivery, WebhookEndpoint } from '../api/types';
import { ConfirmDialog } from '../components/confirm-dialog';
import { ErrorNotice, Loading, Notice } from '../components/ui';
import { useAsync } from '../lib/use-async';
import { useTitle } from '../lib/use-title';

/** Attempts shown per page of an endpoint's deliveries. */
const DELIVERIES_PAGE_SIZE = 25;
/** How often an endpoint's page reads its deliveries again while it is visible. */
const DELIVERIES_POLL_MS = 2000;

const endpointPath = (id: string) => `/v1/webhook-endpoints/${seg(id)}`;

/** The secret of an endpoint just added, with a copy button: Purse never shows it again. */
function NewSecret({ endpoint, onDismiss }: { endpoint: CreatedWebhookEndpoint; onDismiss: () => void }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(endpoint.secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className="notice notice-success stack" role="status" data-testid="new-secret">
      <p>
        <strong>Endpoint added.</strong> Its signing secret is shown only now: copy it into your backend, which checks every delivery with it.
      </p>
      <div className="secret-row">
        <code className="secret" data-testid="endpoint-secret">
          {endpoint.secret}
        </code>
        <button type="button" className="btn btn-secondary btn-sm" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy secret'}
        </button>
        <button type="button" className="btn btn-ghost btn-sm" onClick={onDismiss}>
          Done
        </button>
      </div>
      {copied === false && <p className="small">The browser did not allow copying: select the secret and copy it by hand.</p>}
    </div>
  );
}

function AddEndpoint({ onAdded }: { onAdded: (e: CreatedWebhookEndpoint) => void }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState<EventType[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await request<CreatedWebhookEndpoint>('/v1/webhook-endpoints', {
        method: 'POST',
        auth: 'key',
        body: { url: url.trim(), ...(description.trim() ? { description: description.trim() } : {}), ...(types.length ? { events: types } : {}) },
      });
      setUrl('');
      setDescription('');
      setTypes([]);
      onAdded(created);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  const toggle = (t: EventType) => setTypes((old) => (old.includes(t) ? old.filter((x) => x !== t) : [...old, t]));
  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="add-endpoint-heading">
      <h2 id="add-endpoint-heading">Add an endpoint</h2>
      <div className="row wrap">
        <label className="field grow">
          <span>URL</span>
          <input type="url" name="url" required placeholder="https://app.example.com/purse-events" value={url} onChange={(e) => setUrl(e.target.value)} />
        </label>
        <label className="field grow">
          <span>Description (optional)</span>
          <input name="description" maxLength={500} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
      </div>
      <details>
        <summary>Events: {types.length ? `${types.length} chosen` : 'all types'}</summary>
        <fieldset className="event-types">
          <legend className="sr-only">Event types to send</legend>
          {EVENT_TYPES.map((t) => (
            <label key={t} className="check">
              <input type="checkbox" checked={types.includes(t)} onChange={() => toggle(t)} />
              <code>{t}</code>
            </label>
          ))}
        </fieldset>
        <p className="muted small">None ticked sends every type.</p>
      </details>
      <ErrorNotice error={error} />
      <div>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add endpoint'}
        </button>
      </div>
    </form>
  );
}

/** "Enabled", or "Disabled" with why (an operator, or failing deliveries). */
function EndpointStatus({ endpoint }: { endpoint: WebhookEndpoint }) {
  return (
    <span className="stack-xs" data-testid="endpoint-status">
      <span className={`pill pill-${endpoint.status}`}>{endpoint.status === 'enabled' ? 'Enabled' : 'Disabled'}</span>
      {endpoint.status === 'disabled' && endpoint.disabledReason && <span className="small muted">Disabled: {endpoint.disabledReason}</span>}
      {endpoint.consecutiveFailures > 0 && (
        <span className="small danger-text">
          {num(endpoint.consecutiveFailures)} failed {endpoint.consecutiveFailures === 1 ? 'attempt' : 'attempts'} in a row
          {endpoint.failingSince ? ` since ${dateTime(endpoint.failingSince)}` : ''}
        </span>
      )}
    </span>
  );
}

/** Enable or disable, and delete (after asking); `onChanged` gets the endpoint as it is now, or null once deleted. */
function EndpointActions({ endpoint, onChanged }: { endpoint: WebhookEndpoint; onChanged: (e: WebhookEndpoint | null, message: string) => void }) {
  const [deleting, setDeleting] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const enabled = endpoint.status === 'enabled';
  const toggle = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const next = await request<WebhookEndpoint>(endpointPath(endpoint.id), { method: 'PATCH', auth: 'key', body: { status: enabled ? 'disabled' : 'enabled' } });
      onChanged(next, `${enabled ? 'Disabled' : 'Enabled'} ${endpoint.url}.`);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <span className="row wrap">
        <button type="button" className="btn btn-secondary btn-sm" onClick={() => void toggle()} disabled={busy} aria-label={`${enabled ? 'Disable' : 'Enable'} ${endpoint.url}`}>
          {enabled ? 'Disable' : 'Enable'}
        </button>
        <button type="button" className="btn btn-ghost btn-sm danger-text" onClick={() => setDeleting(true)} aria-label={`Delete ${endpoint.url}`}>
          Delete
        </button>
      </span>
      <ErrorNotice error={error} />
      {deleting && (
        <ConfirmDialog
          title="Delete endpoint"
          description={`${endpoint.url} will receive no more events, and its delivery history goes with it.`}
          confirmLabel="Delete endpoint"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await request(endpointPath(endpoint.id), { method: 'DELETE', auth: 'key' });
            onChanged(null, `Deleted ${endpoint.url}.`);
          }}
        />
      )}
    </>
  );
}

/** The app's webhook endpoints: their state, adding one (its secret shown once), enabling, disabling, deleting. */
export function WebhooksPage() {
  useTitle('Webhooks');
  const { data, error, reload } = useAsync(() => request<{ data: WebhookEndpoint[] }>('/v1/webhook-endpoints', { auth: 'key' }), []);
  const [created, setCreated] = useState<CreatedWebhookEndpoint | null>(null);
  const [done, setDone] = useState<string>();
  const changed = (_: WebhookEndpoint | null, message: string) => {
    setDone(message);
    void reload();
  };
  return (
    <div className="stack-lg">
      <div>
        <h1>Webhooks</h1>
        <p className="muted">Purse sends every event, signed with the endpoint's secret, to the URLs of your backend listed here, and retries a failed delivery for three days.</p>
      </div>
      {created && <NewSecret endpoint={created} onDismiss={() => setCreated(null)} />}
      {done && <Notice kind="success" testId="action-done">{done}</Notice>}
      <AddEndpoint
        onAdded={(e) => {
          setCreated(e);
          setDone(undefined);
          void reload();
        }}
      />
      <section className="card stack" aria-labelledby="endpoints-heading">
        <h2 id="endpoints-heading">Endpoints</h2>
        {error && !data && <ErrorNotice error={error} />}
        {!data && !error && <Loading />}
        {data && (
          <DataTable
            caption="Webhook endpoints"
            filename="webhook-endpoints"
            testId="endpoints"
            rowTestId="endpoint-row"
            rows={data.data}
            rowKey={(e) => e.id}
            empty="No endpoints yet: add one above."
            columns={[
              { header: 'URL', wrap: true, cell: (e) => <Link href={`/webhooks/${seg(e.id)}`} className="break">{e.url}</Link>, csv: (e) => e.url },
              { header: 'Status', wrap: true, cell: (e) => <EndpointStatus endpoint={e} />, csv: (e) => e.status },
              { header: 'Events', wrap: true, cell: (e) => (e.events ? e.events.join(', ') : 'All'), csv: (e) => (e.events ?? []).join(' ') },
              { header: 'Description', wrap: true, cell: (e) => e.description ?? '' },
              { header: 'Added', cell: (e) => dateTime(e.createdAt), csv: (e) => e.createdAt },
              { header: 'Actions', csv: () => '', cell: (e) => <EndpointActions endpoint={e} onChanged={changed} /> },
            ]}
          />
        )}
      </section>
    </div>
  );
}

/** One endpoint: its state and actions, and every delivery attempt, newest first, with a replay per event. */
export function WebhookEndpointPage({ endpointId }: { endpointId: string }) {
  useTitle('Webhook endpoint');
  const [, navigate] = useLocation();
  const endpoint = useAsync(() => request<WebhookEndpoint>(endpointPath(endpointId), { auth: 'key' }), [endpointId]);
  const [pages, setPages] = useState<WebhookDelivery[][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<Error>();
  const [done, setDone] = useState<string>();
  const loadedMore = useRef(false);

  /** Reads the first page again (new attempts come first); pages already loaded further down stay. */
  const readFirst = async () => {
    try {
      const first = await request<Page<WebhookDelivery>>(`${endpointPath(endpointId)}/deliveries`, { auth: 'key', query: { limit: DELIVERIES_PAGE_SIZE } });
      setPages((old) => (old.length > 1 ? [first.data, ...old.slice(1)] : [first.data]));
      if (!loadedMore.current) setCursor(first.nextCursor);
      setError(undefined);
    } catch (err) {
      setError(err as Error);
    }
  };
  useEffect(() => {
    void readFirst();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') {
        void readFirst();
        void endpoint.reload();
      }
    }, DELIVERIES_POLL_MS);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [endpointId]);

  const more = async () => {
    if (!cursor) return;
    loadedMore.current = true;
    try {
      const next = await request<Page<WebhookDelivery>>(`${endpointPath(endpointId)}/deliveries`, { auth: 'key', query: { limit: DELIVERIES_PAGE_SIZE, cursor } });
      setPages((old) => [...old, next.data]);
      setCursor(next.nextCursor);
    } catch (err) {
      setError(err as Error);
    }
  };
  const replay = async (eventId: string) => {
    try {
      await request(`/v1/events/${seg(eventId)}/redeliver`, { method: 'POST', auth: 'key', body: { endpointId } });
      setDone(`Event ${eventId} is on its way again.`);
      setTimeout(() => void readFirst(), 500);
    } catch (err) {
      setError(err as Error);
    }
  };

  if (endpoint.error && !endpoint.data) return <ErrorNotice error={endpoint.error} />;
  const e = endpoint.data;
  if (!e) return <Loading />;
  // A page read again after new attempts may repeat rows of the next one: each attempt is shown once.
  const attempts = [...new Map(pages.flat().map((a) => [a.id, a])).values()];
  return (
    <div className="stack-lg">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href="/webhooks">Webhooks</Link> <span aria-hidden="true">/</span> <span className="break">{e.id}</span>
      </nav>
      <div className="row between wrap">
        <div className="stack-xs">
          <h1 className="break">{e.url}</h1>
          {e.description && <p className="muted break">{e.description}</p>}
        </div>
        <EndpointActions
          endpoint={e}
          onChanged={(next, message) => {
            if (!next) return navigate('/webhooks');
            setDone(message);
            void endpoint.reload();
          }}
        />
      </div>
      {done && <Notice kind="success" testId="action-done">{done}</Notice>}
      <dl className="facts card">
        <dt>Status</dt>
        <dd>
          <EndpointStatus endpoint={e} />
        </dd>
        <dt>Events</dt>
        <dd className="break">{e.events ? e.events.join(', ') : 'All types'}</dd>
        <dt>Id</dt>
        <dd>
          <code className="id">{e.id}</code>
        </dd>
      </dl>
      <section className="card stack" aria-labelledby="deliveries-heading">
        <h2 id="deliveries-heading">Recent deliveries</h2>
        <ErrorNotice error={error} />
        <DataTable
          caption="Delivery attempts"
          filename={`deliveries-${e.id}`}
          testId="deliveries"
          rowTestId="delivery-row"
          rows={attempts}
          rowKey={(a) => a.id}
          empty="Nothing sent to this endpoint yet."
          columns={[
            { header: 'When', cell: (a) => dateTime(a.at), csv: (a) => a.at },
            { header: 'Event', cell: (a) => <code className="id">{a.eventId}</code>, csv: (a) => a.eventId },
            { header: 'Attempt', numeric: true, cell: (a) => num(a.attempt), csv: (a) => a.attempt },
            { header: 'Status', wrap: true, cell: (a) => (a.statusCode !== null ? String(a.statusCode) : a.error ?? '—'), csv: (a) => a.statusCode ?? a.error ?? '' },
            { header: 'Latency', numeric: true, cell: (a) => `${num(a.latencyMs)} ms`, csv: (a) => a.latencyMs },
            { header: 'Result', cell: (a) => <span className={a.succeeded ? 'pill pill-completed' : 'pill pill-failed'}>{a.succeeded ? 'delivered' : 'failed'}</span>, csv: (a) => (a.succeeded ? 'delivered' : 'failed') },
            {
              header: 'Replay',
              csv: () => '',
              cell: (a) => (
                <button type="button" className="btn btn-ghost btn-sm" onClick={() => void replay(a.eventId)} aria-label={`Replay event ${a.eventId}`}>
                  Replay
                </button>
              ),
            },
          ]}
        />
        {cursor && (
          <div className="row center-row">
            <button type="button" className="btn btn-secondary" onClick={() => void more()}>
              Load more
            </button>
          </div>
        )}
      </section>
    </div>
  );
}
