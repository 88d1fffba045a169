import type { ReactNode } from 'react';
import { Link, useRoute } from 'wouter';
import { num } from '../lib/format';
import { useBalance } from './balance';
import { Logo, UserIcon } from './ui';

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const [active] = useRoute(href);
  return (
    <Link href={href} className={active ? 'nav-link active' : 'nav-link'} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

/** The header's profile icon with the balance beside it: every page shows it, and it follows every change. */
function BalanceBadge() {
  const { balance, error } = useBalance();
  const text = balance ? num(balance.available) : error ? '—' : '…';
  const label = balance ? `Your balance: ${num(balance.available)} credits${balance.reserved ? `, ${num(balance.reserved)} held` : ''}. View credits` : 'Your balance';
  return (
    <Link href="/credits" className="balance-badge" aria-label={label} title="Your credits">
      <UserIcon />
      <span className="balance-amount" data-testid="header-balance" aria-live="polite">
        {text}
      </span>
      <span className="balance-unit">credits</span>
    </Link>
  );
}

/** The demo studio's frame: brand, navigation, balance, footer. */
export function SiteLayout({ children }: { children: ReactNode }) {
  return (
    <div className="app">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="site-header">
        <div className="container header-inner">
          <Link href="/" className="brand" aria-label="Purse Studio home">
            <Logo />
            <span>
              Purse <span className="brand-sub">Studio</span>
            </span>
          </Link>
          <nav aria-label="Main" className="main-nav">
            <NavLink href="/">Studio</NavLink>
            <NavLink href="/credits">Credits</NavLink>
            <NavLink href="/pricing">Pricing</NavLink>
            <NavLink href="/buy">Buy credits</NavLink>
          </nav>
          <BalanceBadge />
        </div>
      </header>
      <main id="main" className="container main" tabIndex={-1}>
        {children}
      </main>
      <footer className="site-footer">
        <div className="container footer-inner">
          <span>Purse demo studio · signed in as the demo customer</span>
          <span className="footer-links">
            <Link href="/console">Operator console</Link>
            <a href="/docs">API reference</a>
          </span>
        </div>
      </footer>
    </div>
  );
}
