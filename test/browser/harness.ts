import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { spawnPurse } from '../process.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
export const API_KEY = 'sk_test_browser_key';

/** Debian's Chromium (CI installs it with apt-get install chromium); PURSE_CHROMIUM points elsewhere. */
export const CHROMIUM_PATH = process.env.PURSE_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Whether the browser suite can run. Without Chromium it fails under CI
 * (CI=true) with what to install, and is skipped, loudly, on a laptop.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const message = `Chromium was not found at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (or set PURSE_CHROMIUM to a Chromium binary).`;
  if (process.env.CI === 'true') throw new Error(`${message} The browser tests cannot run without it.`);
  console.warn(`\n*** SKIPPING the browser tests. ${message}\n`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Builds the server (dist/) and the web app (web/dist) with `npm run build`,
 * so the suite always tests the current code. PURSE_BROWSER_SKIP_BUILD=1 skips
 * it when both are there already.
 */
export function buildOnce(): void {
  const built = existsSync(join(ROOT, 'dist', 'main.js')) && existsSync(join(ROOT, 'web', 'dist', 'index.html'));
  if (built && process.env.PURSE_BROWSER_SKIP_BUILD === '1') return;
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, NODE_ENV: 'production' } });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
}

export interface Server {
  url: string;
  stop(): Promise<void>;
  output(): string;
}

/** The built server (`node dist/main.js`) on a free port, on its own SQLite file, with the demo and the test clock; `env` adds settings. */
export async function startServer(env: Record<string, string> = {}): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'purse-browser-'));
  const server = await spawnPurse(
    {
      PURSE_DATABASE_URL: `sqlite:${join(dir, 'purse.db')}`,
      PURSE_DEMO: '1',
      PURSE_TEST_CLOCK: '1',
      PURSE_API_KEY: API_KEY,
      PURSE_SESSION_SECRET: 'browser-test-session-secret-32-bytes',
      PURSE_PAYMENTS: 'sandbox',
      ...env,
    },
    { built: true },
  );
  return {
    url: server.url,
    output: server.output,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Calls the API with the secret key, as a test's independent check of what the page showed. */
export function apiClient(base: string) {
  return async function api<T = any>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
    const res = await fetch(`${base}${path}`, {
      method: opts.method ?? 'GET',
      headers: {
        authorization: `Bearer ${API_KEY}`,
        ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(opts.method && opts.method !== 'GET' ? { 'idempotency-key': crypto.randomUUID() } : {}),
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`${opts.method ?? 'GET'} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
}

/** Waits until the locator's text matches (the page polls and re-renders; this waits for it). */
export async function waitForText(locator: Locator, expected: string | RegExp, timeout = 15_000): Promise<string> {
  const deadline = Date.now() + timeout;
  let last = '';
  for (;;) {
    try {
      last = (await locator.innerText({ timeout: 1000 })).trim();
      if (typeof expected === 'string' ? last === expected : expected.test(last)) return last;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`expected ${String(expected)} in ${locator.toString()}, last saw ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** How far the page is wider than its window; 0 means no horizontal scrolling. */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate('document.scrollingElement.scrollWidth - window.innerWidth') as Promise<number>;
}
