import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';

interface Props {
  title: string;
  /** What the action will do, in a sentence. */
  description?: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: (reason: string) => Promise<void>;
  onClose: () => void;
  /** Fields besides the reason (amount, plan …). */
  children?: ReactNode;
}

/**
 * A modal form for an operator action that must say why. The reason is
 * required; the action's error, if any, is shown in the dialog.
 */
export function ReasonDialog({ title, description, confirmLabel, danger, onConfirm, onClose, children }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) {
      setError('Please give a reason.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm(reason.trim());
      ref.current?.close();
      onClose();
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <dialog ref={ref} className="dialog" aria-labelledby={`${id}-title`} onClose={onClose} onCancel={onClose}>
      <form onSubmit={submit} className="stack">
        <h2 id={`${id}-title`}>{title}</h2>
        {description && <p className="muted">{description}</p>}
        {children}
        <label className="field">
          <span>Reason (required)</span>
          <textarea name="reason" value={reason} onChange={(e) => setReason(e.target.value)} aria-required="true" maxLength={500} rows={3} placeholder="Shown in the customer's ledger" />
        </label>
        {error && (
          <p className="notice notice-error" role="alert">
            {error}
          </p>
        )}
        <div className="row end">
          <button type="button" className="btn btn-ghost" onClick={() => { ref.current?.close(); onClose(); }}>
            Cancel
          </button>
          <button type="submit" className={danger ? 'btn btn-danger' : 'btn btn-primary'} disabled={busy}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
