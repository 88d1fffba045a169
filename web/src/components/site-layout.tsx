import type { ReactNode } from 'react';
import { Link, useLocation, useRoute } from 'wouter';
import { BalanceBadge, UserIcon } from '@purse/react';
import { usePurse } from './balance';
import { Logo } from './ui';

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const [active] = useRoute(href);
  return (
    <Link href={href} className={active ? 'nav-link active' : 'nav-link'} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

/** The header's balance: Purse's BalanceBadge, leading to the credits page through the router. */
function HeaderBalance() {
  const conn = usePurse();
  const [, navigate] = useLocation();
  if (!conn) {
    return (
      <span className="balance-badge" aria-label="Your balance">
        <UserIcon />
        <span className="balance-amount" data-testid="header-balance">
          …
        </span>
        <span className="balance-unit">credits</span>
      </span>
    );
  }
  return (
    <BalanceBadge
      {...conn}
      href="/credits"
      onClick={(e) => {
        e.preventDefault();
        navigate('/credits');
      }}
    />
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
          <HeaderBalance />
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
