import type { ReactNode } from 'react';

/** A status line: polite for news, assertive (role=alert) for errors. */
export function Notice({ kind = 'info', children, testId }: { kind?: 'info' | 'success' | 'error' | 'warning'; children: ReactNode; testId?: string }) {
  return (
    <div className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'} data-testid={testId}>
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="muted loading" role="status">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function ErrorNotice({ error }: { error: Error | undefined }) {
  return error ? <Notice kind="error">{error.message}</Notice> : null;
}

export function UserIcon({ size = 22 }: { size?: number }) {
  return (
    <svg aria-hidden="true" width={size} height={size} viewBox="0 0 24 24" fill="none">
      <circle cx="12" cy="12" r="12" fill="currentColor" opacity="0.14" />
      <circle cx="12" cy="9.5" r="3.6" fill="currentColor" />
      <path d="M5.5 19.2c1.3-2.9 3.8-4.4 6.5-4.4s5.2 1.5 6.5 4.4" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
    </svg>
  );
}

export function Logo() {
  return (
    <svg aria-hidden="true" width="28" height="28" viewBox="0 0 32 32">
      <rect width="32" height="32" rx="8" fill="currentColor" />
      <path d="M9 11.5C9 9.6 10.6 8 12.5 8h9c1.9 0 3.5 1.6 3.5 3.5V13h-6a3 3 0 0 0 0 6h6v1.5c0 1.9-1.6 3.5-3.5 3.5h-9A3.5 3.5 0 0 1 9 20.5z" fill="#fff" />
      <circle cx="19.5" cy="16" r="1.6" fill="currentColor" />
    </svg>
  );
}

/** A figure with its label, for summary tiles. */
export function Stat({ label, value, hint, testId }: { label: string; value: ReactNode; hint?: ReactNode; testId?: string }) {
  return (
    <div className="stat">
      <span className="stat-label">{label}</span>
      <span className="stat-value" data-testid={testId}>
        {value}
      </span>
      {hint && <span className="stat-hint">{hint}</span>}
    </div>
  );
}
