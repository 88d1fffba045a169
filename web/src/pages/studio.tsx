import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { ApiError, request } from '../api/client';
import type { Generation, Pricing, PricingPack, PricingTool } from '../api/types';
import { DemoCreditsNotice, useBalance } from '../components/balance';
import { ErrorNotice, Loading, Notice } from '../components/ui';
import { drawPicture, FAILURE_RATES, pictureUrl, readFailureRate, saveFailureRate, shouldFail } from '../lib/demo-generator';
import { credits, money, num, percent, plural, toolCost } from '@purse/react';
import { useAsync } from '../lib/use-async';
import { useTitle } from '../lib/use-title';

type Phase =
  | { kind: 'idle' }
  | { kind: 'running'; generation: Generation; progress: number }
  | { kind: 'done'; generation: Generation; picture: string; prompt: string }
  | { kind: 'failed'; generation: Generation }
  | { kind: 'insufficient'; required: number; available: number }
  | { kind: 'error'; message: string };

interface Picture {
  id: string;
  toolName: string;
  prompt: string;
  url: string;
  cost: number;
}

/** What this visit made, kept while the visitor moves between pages. */
const gallery: Picture[] = [];

const TOOL_ICONS: Record<string, string> = {
  'text-to-image': 'M4 5h16v14H4zM4 15l4-4 4 4 3-3 5 5M15 9.5a1.5 1.5 0 1 0 0-.01',
  avatar: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21c1.5-4 4.5-6 8-6s6.5 2 8 6',
  video: 'M3 6h13v12H3zM16 10l5-3v10l-5-3',
  'background-removal': 'M5 5h4M15 5h4M5 19h4M15 19h4M5 5v4M5 15v4M19 5v4M19 15v4M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8',
};

const maxUnits = (unit: string) => (unit === 'second' ? 300 : unit === 'image' ? 10 : 100);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The demo AI studio: pick a tool, reserve its credits, watch it run, then complete or fail it. */
export function StudioPage() {
  useTitle('Studio');
  const pricing = useAsync(() => request<Pricing>('/v1/pricing'), []);
  const { balance, refresh } = useBalance();
  const [toolId, setToolId] = useState<string>();
  const [prompt, setPrompt] = useState('A lighthouse on a cliff at sunset');
  const [unitsText, setUnitsText] = useState('1');
  const [failureRate, setFailureRate] = useState(readFailureRate);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [, setGalleryVersion] = useState(0);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => void (alive.current = false);
  }, []);

  const tools = pricing.data?.tools ?? [];
  const tool: PricingTool | undefined = tools.find((t) => t.id === toolId) ?? tools.find((t) => t.id === 'text-to-image') ?? tools[0];
  const perUnit = tool && tool.unit !== 'generation';
  const units = tool ? Math.max(1, Math.min(maxUnits(tool.unit), Math.floor(Number(unitsText)) || 1)) : 1;
  const cost = tool ? tool.credits * (perUnit ? units : 1) : 0;
  const running = phase.kind === 'running';

  const pickTool = (t: PricingTool) => {
    setToolId(t.id);
    setUnitsText('1');
    if (phase.kind !== 'running') setPhase({ kind: 'idle' });
  };

  const generate = async (e: FormEvent) => {
    e.preventDefault();
    if (!tool || running) return;
    const text = prompt.trim() || tool.name;
    let generation: Generation;
    try {
      generation = await request<Generation>('/demo/generations', {
        method: 'POST',
        auth: 'session',
        body: { toolId: tool.id, ...(perUnit ? { units } : {}), prompt: text },
      });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'insufficient_credits') {
        setPhase({ kind: 'insufficient', required: Number(err.details.required ?? cost), available: Number(err.details.available ?? 0) });
      } else setPhase({ kind: 'error', message: (err as Error).message });
      void refresh();
      return;
    }
    setPhase({ kind: 'running', generation, progress: 0 });
    void refresh();
    const steps = 8;
    for (let i = 1; i <= steps; i++) {
      await sleep(140);
      if (alive.current) setPhase({ kind: 'running', generation, progress: Math.round((i / steps) * 100) });
    }
    try {
      if (shouldFail(failureRate)) {
        const failed = await request<Generation>(`/demo/generations/${encodeURIComponent(generation.id)}/fail`, { method: 'POST', auth: 'session', body: { reason: 'The demo generator failed' } });
        if (alive.current) setPhase({ kind: 'failed', generation: failed });
      } else {
        const svg = drawPicture(tool.id, text);
        const done = await request<Generation>(`/demo/generations/${encodeURIComponent(generation.id)}/complete`, { method: 'POST', auth: 'session', body: {} });
        gallery.unshift({ id: done.id, toolName: tool.name, prompt: text, url: pictureUrl(svg), cost: done.charged });
        gallery.splice(8);
        setGalleryVersion((v) => v + 1);
        if (alive.current) setPhase({ kind: 'done', generation: done, picture: pictureUrl(svg), prompt: text });
      }
    } catch (err) {
      if (alive.current) setPhase({ kind: 'error', message: (err as Error).message });
    }
    await refresh();
  };

  const changeRate = (rate: number) => {
    setFailureRate(rate);
    saveFailureRate(rate);
  };

  return (
    <div className="stack-lg">
      <section className="hero">
        <div>
          <h1>Studio</h1>
          <p className="muted">Every generation reserves its credits first. If it fails, they come straight back.</p>
        </div>
        <label className="field inline-field">
          <span>Failure rate</span>
          <select value={failureRate} onChange={(e) => changeRate(Number(e.target.value))} data-testid="failure-rate" aria-describedby="failure-rate-hint">
            {FAILURE_RATES.map((r) => (
              <option key={r} value={r}>
                {percent(r)}
              </option>
            ))}
          </select>
          <small id="failure-rate-hint" className="muted">
            How often the demo generator fails
          </small>
        </label>
      </section>
      <DemoCreditsNotice />

      <ErrorNotice error={pricing.error} />
      {pricing.loading && !pricing.data && <Loading label="Loading tools…" />}

      <section aria-labelledby="tools-heading">
        <h2 id="tools-heading" className="sr-only">
          Tools
        </h2>
        <div className="tool-grid" role="group" aria-label="Choose a tool">
          {tools.map((t) => (
            <button
              type="button"
              key={t.id}
              className={t.id === tool?.id ? 'tool-card selected' : 'tool-card'}
              aria-pressed={t.id === tool?.id}
              onClick={() => pickTool(t)}
              data-testid={`tool-${t.id}`}
              disabled={running}
            >
              <svg aria-hidden="true" width="28" height="28" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
                <path d={TOOL_ICONS[t.id] ?? 'M12 3l2.5 6.5L21 12l-6.5 2.5L12 21l-2.5-6.5L3 12l6.5-2.5z'} />
              </svg>
              <span className="tool-name">{t.name}</span>
              <span className="tool-cost">{toolCost(t)}</span>
              {t.description && <span className="tool-desc">{t.description}</span>}
            </button>
          ))}
        </div>
      </section>

      {tool && (
        <div className="studio-grid">
          <form className="card stack" onSubmit={generate} aria-labelledby="generate-heading">
            <h2 id="generate-heading">{tool.name}</h2>
            <label className="field">
              <span>Prompt</span>
              <textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={3} maxLength={2000} name="prompt" />
            </label>
            {perUnit && (
              <label className="field">
                <span>{plural(tool.unit).replace(/^./, (c) => c.toUpperCase())}</span>
                <input
                  type="number"
                  name="units"
                  min={1}
                  max={maxUnits(tool.unit)}
                  value={unitsText}
                  inputMode="numeric"
                  onChange={(e) => setUnitsText(e.target.value)}
                  onBlur={() => setUnitsText(String(units))}
                />
              </label>
            )}
            <p className="cost-line">
              Costs <strong data-testid="generation-cost">{credits(cost)}</strong>
              {perUnit && <span className="muted"> ({toolCost(tool)})</span>}
              {balance && <span className="muted"> · you have {credits(balance.available)}</span>}
            </p>
            <button type="submit" className="btn btn-primary btn-lg" disabled={running} data-testid="generate">
              {running ? 'Generating…' : `Generate · ${credits(cost)}`}
            </button>
          </form>

          <section className="card result" aria-label="Result" aria-live="polite" data-testid="generation-result">
            <Result phase={phase} packs={pricing.data?.packs ?? []} />
          </section>
        </div>
      )}

      {gallery.length > 0 && (
        <section aria-labelledby="gallery-heading" className="stack">
          <h2 id="gallery-heading">Made this visit</h2>
          <ul className="gallery">
            {gallery.map((p) => (
              <li key={p.id}>
                <img src={p.url} alt={`${p.toolName}: ${p.prompt}`} loading="lazy" />
                <span>
                  {p.toolName} · {credits(p.cost)}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function Result({ phase, packs }: { phase: Phase; packs: PricingPack[] }) {
  switch (phase.kind) {
    case 'idle':
      return (
        <div className="placeholder">
          <p className="muted">Your picture appears here.</p>
        </div>
      );
    case 'running':
      return (
        <div className="stack">
          <p>
            Generating… <span className="muted">{credits(phase.generation.cost)} held</span>
          </p>
          <div className="progress" role="progressbar" aria-label="Generating" aria-valuemin={0} aria-valuemax={100} aria-valuenow={phase.progress} data-testid="progress">
            <div style={{ width: `${phase.progress}%` }} />
          </div>
        </div>
      );
    case 'done':
      return (
        <div className="stack">
          <img className="picture" src={phase.picture} alt={`Generated picture: ${phase.prompt}`} data-testid="generated-picture" />
          <Notice kind="success" testId="generation-done">
            Done. {credits(phase.generation.charged)} charged.
          </Notice>
        </div>
      );
    case 'failed':
      return (
        <Notice kind="warning" testId="generation-failed">
          <strong>The generation failed.</strong> Its {credits(phase.generation.cost - phase.generation.charged)} were returned to your balance.
        </Notice>
      );
    case 'insufficient':
      return (
        <div className="stack" data-testid="insufficient">
          <Notice kind="error">
            <strong>Not enough credits.</strong> This generation needs <span data-testid="credits-needed">{num(phase.required)}</span> credits and you have {num(phase.available)}
            {phase.required > phase.available ? ` (${num(phase.required - phase.available)} short)` : ''}.
          </Notice>
          <p>Buy a pack to keep creating. Pack credits never expire.</p>
          <ul className="pack-offers">
            {packs.map((p) => (
              <li key={p.id}>
                <Link href={`/buy?pack=${encodeURIComponent(p.id)}`} className="btn btn-secondary" data-testid={`offer-${p.id}`}>
                  Buy {credits(p.credits)} · {money(p.price)}
                </Link>
              </li>
            ))}
          </ul>
        </div>
      );
    case 'error':
      return <Notice kind="error">{phase.message}</Notice>;
  }
}
