import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link, Route, Switch, useRoute } from 'wouter';
import { ApiError, apiKey, request } from '../api/client';
import { Logo, Notice } from '../components/ui';
import { useTitle } from '../lib/use-title';
import { CatalogPage } from './catalog';
import { CustomerPage } from './customer';
import { CustomersPage } from './customers';
import { ReportsPage } from './reports';
import { readTestClock, TestClockPage } from './test-clock';
import { WebhookEndpointPage, WebhooksPage } from './webhooks';

function Login({ onSignedIn }: { onSignedIn: () => void }) {
  useTitle('Console sign-in');
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) return setError('Paste a secret API key.');
    setBusy(true);
    setError(undefined);
    apiKey.set(k);
    try {
      await request('/v1/tools', { auth: 'key' });
      onSignedIn();
    } catch (err) {
      apiKey.clear();
      setError(err instanceof ApiError && (err.status === 401 || err.status === 403) ? 'That key was not accepted. Use a secret API key (sk_…).' : (err as Error).message);
      setBusy(false);
    }
  };
  return (
    <main className="login" id="main">
      <form className="card login-card stack" onSubmit={submit}>
        <div className="brand brand-console">
          <Logo />
          <span>
            Purse <span className="brand-sub">Console</span>
          </span>
        </div>
        <h1>Sign in</h1>
        <p className="muted">The operator console looks up customers, grants and takes back credits, edits the catalog, shows reports and manages webhooks.</p>
        <label className="field">
          <span>Secret API key</span>
          <input type="password" name="apiKey" autoComplete="off" spellCheck={false} placeholder="sk_…" value={key} onChange={(e) => setKey(e.target.value)} autoFocus />
          <small className="muted">Kept in this browser tab only (sessionStorage) and sent as a Bearer token.</small>
        </label>
        {error && <Notice kind="error">{error}</Notice>}
        <button type="submit" className="btn btn-primary btn-lg" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <Link href="~/" className="small">
          ← Back to the studio
        </Link>
      </form>
    </main>
  );
}

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const [exact] = useRoute(href);
  const [nested] = useRoute(href === '/' ? '/customers/*' : `${href}/*`);
  const active = exact || nested;
  return (
    <Link href={href} className={active ? 'nav-link active' : 'nav-link'} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

/** The operator console: signed in with a secret API key kept in sessionStorage. */
export function ConsoleApp() {
  const [signedIn, setSignedIn] = useState(() => apiKey.get() !== null);
  const [hasClock, setHasClock] = useState(false);
  useEffect(() => {
    if (signedIn) readTestClock().then((c) => setHasClock(c !== null), () => setHasClock(false));
  }, [signedIn]);
  if (!signedIn) return <Login onSignedIn={() => setSignedIn(true)} />;
  const signOut = () => {
    apiKey.clear();
    setSignedIn(false);
  };
  return (
    <div className="app console">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="site-header console-header">
        <div className="container header-inner">
          <Link href="/" className="brand" aria-label="Purse Console home">
            <Logo />
            <span>
              Purse <span className="brand-sub">Console</span>
            </span>
          </Link>
          <nav aria-label="Console" className="main-nav">
            <NavLink href="/">Customers</NavLink>
            <NavLink href="/catalog">Catalog</NavLink>
            <NavLink href="/reports">Reports</NavLink>
            <NavLink href="/webhooks">Webhooks</NavLink>
            {hasClock && <NavLink href="/test-clock">Test clock</NavLink>}
          </nav>
          <button type="button" className="btn btn-ghost btn-sm on-dark" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="container main" tabIndex={-1}>
        <Switch>
          <Route path="/" component={CustomersPage} />
          <Route path="/customers/:id">{(p) => <CustomerPage customerId={decodeURIComponent(p.id)} />}</Route>
          <Route path="/catalog" component={CatalogPage} />
          <Route path="/reports" component={ReportsPage} />
          <Route path="/webhooks" component={WebhooksPage} />
          <Route path="/webhooks/:id">{(p) => <WebhookEndpointPage endpointId={decodeURIComponent(p.id)} />}</Route>
          <Route path="/test-clock" component={TestClockPage} />
          <Route>
            <Notice kind="warning">There is no such console page.</Notice>
          </Route>
        </Switch>
      </main>
    </div>
  );
}
