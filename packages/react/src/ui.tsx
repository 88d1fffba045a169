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

export function ErrorNotice({ error }: { error: Error | null | undefined }) {
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
