/**
 * The demo studio's stand-in for a model: draws an SVG picture that depends
 * only on the tool and the prompt (the same prompt always draws the same
 * picture), and fails at the rate the visitor chose. No model is downloaded.
 */

/** FNV-1a: a 32-bit hash of the text. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small seeded generator, so a seed always gives the same numbers. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const f = (n: number) => n.toFixed(1);
const hsl = (h: number, s: number, l: number) => `hsl(${Math.round(h) % 360} ${s}% ${l}%)`;

function landscape(rnd: () => number, w: number, h: number, hue: number, sunX = 0.3 + rnd() * 0.4): string {
  const parts = [
    `<rect width="${w}" height="${h}" fill="url(#sky)"/>`,
    `<circle cx="${f(w * sunX)}" cy="${f(h * (0.25 + rnd() * 0.15))}" r="${f(h * (0.08 + rnd() * 0.06))}" fill="${hsl(hue + 40, 95, 75)}"/>`,
  ];
  for (let layer = 0; layer < 3; layer++) {
    const base = h * (0.5 + layer * 0.15);
    const pts = [`0,${h}`];
    const steps = 6 + Math.floor(rnd() * 5);
    for (let i = 0; i <= steps; i++) pts.push(`${f((w * i) / steps)},${f(base - rnd() * h * (0.22 - layer * 0.05))}`);
    pts.push(`${w},${h}`);
    parts.push(`<polygon points="${pts.join(' ')}" fill="${hsl(hue + 180 + layer * 12, 35 + layer * 10, 38 - layer * 10)}"/>`);
  }
  return parts.join('');
}

function portrait(rnd: () => number, x: number, y: number, s: number, hue: number): string {
  const skin = hsl(20 + rnd() * 20, 45 + rnd() * 20, 45 + rnd() * 35);
  const hair = hsl(rnd() * 360, 30 + rnd() * 40, 15 + rnd() * 35);
  const cx = x + s / 2;
  return [
    `<rect x="${x}" y="${y}" width="${s}" height="${s}" rx="${s * 0.08}" fill="${hsl(hue + rnd() * 60, 60, 82)}"/>`,
    `<path d="M${f(x + s * 0.15)},${y + s} Q${f(cx)},${f(y + s * 0.55)} ${f(x + s * 0.85)},${y + s} Z" fill="${hsl(hue + 200, 45, 40)}"/>`,
    `<circle cx="${f(cx)}" cy="${f(y + s * 0.45)}" r="${f(s * 0.2)}" fill="${skin}"/>`,
    `<path d="M${f(cx - s * 0.21)},${f(y + s * 0.43)} A${f(s * 0.21)},${f(s * 0.21)} 0 0 1 ${f(cx + s * 0.21)},${f(y + s * 0.43)} Q${f(cx)},${f(y + s * 0.3)} ${f(cx - s * 0.21)},${f(y + s * 0.43)}Z" fill="${hair}"/>`,
    `<circle cx="${f(cx - s * 0.07)}" cy="${f(y + s * 0.47)}" r="${f(s * 0.018)}" fill="#1f1a2e"/>`,
    `<circle cx="${f(cx + s * 0.07)}" cy="${f(y + s * 0.47)}" r="${f(s * 0.018)}" fill="#1f1a2e"/>`,
    `<path d="M${f(cx - s * 0.06)},${f(y + s * 0.54)} Q${f(cx)},${f(y + s * 0.58)} ${f(cx + s * 0.06)},${f(y + s * 0.54)}" stroke="#1f1a2e" stroke-width="${f(s * 0.012)}" fill="none" stroke-linecap="round"/>`,
  ].join('');
}

function subject(rnd: () => number, w: number, h: number, hue: number): string {
  const tiles: string[] = [];
  const t = 32;
  for (let y = 0; y < h; y += t) for (let x = (y / t) % 2 ? t : 0; x < w; x += 2 * t) tiles.push(`<rect x="${x}" y="${y}" width="${t}" height="${t}" fill="#e6e3ef"/>`);
  const n = 9;
  const pts: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = (i / n) * Math.PI * 2;
    const r = w * (0.24 + rnd() * 0.12);
    pts.push(`${f(w / 2 + Math.cos(a) * r)},${f(h / 2 + Math.sin(a) * r)}`);
  }
  return `<rect width="${w}" height="${h}" fill="#fff"/>${tiles.join('')}<ellipse cx="${w / 2}" cy="${f(h * 0.86)}" rx="${f(w * 0.28)}" ry="${f(h * 0.04)}" fill="rgba(0,0,0,.12)"/><polygon points="${pts.join(' ')}" fill="${hsl(hue, 70, 55)}" stroke="${hsl(hue, 70, 35)}" stroke-width="4" stroke-linejoin="round"/><circle cx="${f(w * 0.45)}" cy="${f(h * 0.42)}" r="${f(w * 0.06)}" fill="rgba(255,255,255,.55)"/>`;
}

/** An SVG document for `toolId` and `prompt`; the same inputs always give the same picture. */
export function drawPicture(toolId: string, prompt: string): string {
  const seed = hash(`${toolId}\u0000${prompt.trim().toLowerCase()}`);
  const rnd = random(seed);
  const hue = rnd() * 360;
  const defs = `<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${hsl(hue, 70, 62)}"/><stop offset="1" stop-color="${hsl(hue + 50, 80, 86)}"/></linearGradient></defs>`;
  let w = 512;
  let h = 512;
  let body: string;
  if (toolId === 'avatar') {
    body = `<rect width="${w}" height="${h}" fill="#fff"/>` + [0, 1, 2, 3].map((i) => portrait(rnd, 16 + (i % 2) * 248, 16 + Math.floor(i / 2) * 248, 232, hue)).join('');
  } else if (toolId === 'background-removal') {
    body = subject(rnd, w, h, hue);
  } else if (toolId === 'video') {
    w = 640;
    h = 360;
    const frames = [0, 1, 2].map((i) => `<svg x="${20 + i * 204}" y="60" width="192" height="240" viewBox="0 0 192 240">${landscape(random(seed), 192, 240, hue, 0.2 + i * 0.3)}</svg>`);
    const holes = Array.from({ length: 16 }, (_, i) => `<rect x="${12 + i * 40}" y="18" width="22" height="24" rx="4" fill="#f4f2fb"/><rect x="${12 + i * 40}" y="318" width="22" height="24" rx="4" fill="#f4f2fb"/>`);
    body = `<rect width="${w}" height="${h}" fill="#17132b"/>${holes.join('')}${frames.join('')}`;
  } else {
    body = landscape(rnd, w, h, hue);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">${defs}${body}</svg>`;
}

export const pictureUrl = (svg: string): string => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;

export const FAILURE_RATES = [0, 0.1, 0.5, 1] as const;
const FAILURE_KEY = 'purse.demo.failureRate';

/** How often the demo generator fails: the visitor's choice, 10% unless they chose. */
export function readFailureRate(): number {
  const v = Number(localStorage.getItem(FAILURE_KEY));
  return localStorage.getItem(FAILURE_KEY) !== null && (FAILURE_RATES as readonly number[]).includes(v) ? v : 0.1;
}
export const saveFailureRate = (rate: number) => localStorage.setItem(FAILURE_KEY, String(rate));

/** Whether this run fails: 0 never, 1 always. */
export const shouldFail = (rate: number): boolean => rate >= 1 || (rate > 0 && Math.random() < rate);
