import { num } from '@purse/react';
import { useId, useLayoutEffect, useRef, useState } from 'react';

/**
 * The width the chart is drawn at, in CSS pixels: the SVG's coordinates are
 * its real size, so labels keep their font size on a phone instead of
 * shrinking with a fixed viewBox.
 */
function useWidth(fallback: number) {
  const ref = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(fallback);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(200, Math.round(el.clientWidth)) || fallback);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [fallback]);
  return [ref, width] as const;
}

/** Room one day label needs on the axis, in pixels. */
const DAY_LABEL_PX = 52;

export interface Series {
  key: string;
  label: string;
  color: string;
  values: number[];
}

/** Round numbers for the axis: 0, step, 2·step … ≥ max. */
function ticks(max: number): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v < max + step; v += step) out.push(Math.round(v * 100) / 100);
  return out;
}

interface ColumnProps {
  title: string;
  labels: string[];
  series: Series[];
  /** One sentence a screen reader reads for the picture; the table beside it has every number. */
  summary: string;
  format?: (n: number) => string;
}

/** Grouped vertical bars, one group per label (days). Hand-rolled SVG that scales to its card. */
export function ColumnChart({ title, labels, series, summary, format = num }: ColumnProps) {
  const id = useId();
  const [ref, W] = useWidth(720);
  const H = W < 480 ? 200 : 260;
  const pad = { l: 44, r: 8, t: 12, b: 34 };
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  const axis = ticks(max);
  const top = axis[axis.length - 1]!;
  const plotW = W - pad.l - pad.r;
  const plotH = H - pad.t - pad.b;
  const group = plotW / Math.max(1, labels.length);
  const bar = Math.max(1, (group * 0.8) / series.length);
  const y = (v: number) => pad.t + plotH - (v / top) * plotH;
  const every = Math.ceil(labels.length / Math.max(2, Math.floor(plotW / DAY_LABEL_PX)));
  return (
    <figure className="chart" ref={ref}>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-labelledby={`${id}-t ${id}-d`} preserveAspectRatio="xMidYMid meet">
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{summary}</desc>
        {axis.map((v) => (
          <g key={v}>
            <line x1={pad.l} x2={W - pad.r} y1={y(v)} y2={y(v)} className="grid" />
            <text x={pad.l - 6} y={y(v) + 4} textAnchor="end" className="tick">
              {format(v)}
            </text>
          </g>
        ))}
        {labels.map((label, i) => (
          <g key={label}>
            {series.map((s, j) => {
              const v = s.values[i] ?? 0;
              const x = pad.l + i * group + group * 0.1 + j * bar;
              return (
                <rect key={s.key} x={x} y={y(v)} width={Math.max(1, bar - 0.5)} height={Math.max(0, pad.t + plotH - y(v))} fill={s.color} rx={bar > 6 ? 2 : 0}>
                  <title>{`${label} · ${s.label}: ${format(v)}`}</title>
                </rect>
              );
            })}
            {i % every === 0 && (
              <text x={pad.l + i * group + group / 2} y={H - 12} textAnchor="middle" className="tick">
                {label.length === 10 ? label.slice(5) : label}
              </text>
            )}
          </g>
        ))}
      </svg>
      <figcaption className="legend">
        {series.map((s) => (
          <span key={s.key}>
            <i style={{ background: s.color }} aria-hidden="true" />
            {s.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

interface BarProps {
  title: string;
  rows: { label: string; value: number }[];
  color: string;
  summary: string;
  format?: (n: number) => string;
  max?: number;
}

/** Horizontal bars, one per row (tools, sources), with the value written at the end of each. */
export function BarChart({ title, rows, color, summary, format = num, max }: BarProps) {
  const id = useId();
  const [ref, measured] = useWidth(560);
  const W = Math.min(640, measured);
  const rowH = 34;
  const labelW = Math.min(190, Math.round(W * 0.4));
  const valueW = 64;
  /** At most 8.5 px a character at the label's 13 px bold. */
  const labelChars = Math.floor((labelW - 8) / 8.5);
  const H = Math.max(1, rows.length) * rowH + 8;
  const top = max ?? Math.max(1, ...rows.map((r) => r.value));
  if (rows.length === 0) {
    return (
      <figure className="chart chart-empty" aria-label={title} ref={ref}>
        <p className="muted">No data in this range yet.</p>
      </figure>
    );
  }
  return (
    <figure className="chart" ref={ref}>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-labelledby={`${id}-t ${id}-d`} className="hbars">
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{summary}</desc>
        {rows.map((r, i) => {
          const w = ((W - labelW - valueW) * Math.max(0, r.value)) / top;
          const yy = 4 + i * rowH;
          return (
            <g key={r.label}>
              <text x={labelW - 8} y={yy + rowH / 2 + 4} textAnchor="end" className="label">
                {r.label.length > labelChars ? `${r.label.slice(0, labelChars - 1)}…` : r.label}
              </text>
              <rect x={labelW} y={yy + 6} width={W - labelW - valueW} height={rowH - 12} className="track" rx="4" />
              <rect x={labelW} y={yy + 6} width={Math.max(r.value > 0 ? 2 : 0, w)} height={rowH - 12} fill={color} rx="4">
                <title>{`${r.label}: ${format(r.value)}`}</title>
              </rect>
              <text x={W - valueW + 8} y={yy + rowH / 2 + 4} className="value">
                {format(r.value)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
