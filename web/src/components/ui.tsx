import type { ReactNode } from 'react';

export { ErrorNotice, Loading, Notice, UserIcon } from '@purse/react';

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
