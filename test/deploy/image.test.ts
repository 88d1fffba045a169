import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDockerfile, runStages, type BuiltStage } from './dockerfile.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const exec = promisify(execFile);
const API_KEY = 'sk_test_purse_key_for_the_image_test';

/**
 * The Dockerfile's own steps, run in a clean clone of the committed tree: this
 * machine has no Docker engine and cannot pull base images, so the base image is
 * this machine's Node (the same major version) and each stage is a folder.
 */
describe('the Docker image, built from a clean clone by its own Dockerfile steps', () => {
  let work: string;
  let runtime: BuiltStage;
  let server: ChildProcess | null = null;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'purse-image-'));
    const context = join(work, 'context');
    await exec('git', ['clone', '--quiet', '--no-hardlinks', ROOT, context]);
    const stages = parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
    // Only a speed-up: npm takes packages it already has from its cache instead of asking the registry again.
    const built = await runStages(stages, context, join(work, 'image'), { npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' });
    runtime = built[built.length - 1]!;
  }, 1_500_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('builds on this machine\'s Node and runs as a non-root user', () => {
    const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.from).toMatch(new RegExp(`^node:${process.versions.node.split('.')[0]}-`));
    expect(runtime.user).toBe('node');
    expect(runtime.cmd).toEqual(['node', 'dist/main.js']);
    expect(runtime.volumes).toContain('/data');
  });

  it('carries production dependencies only, and the built server and web app', () => {
    const app = join(runtime.root, runtime.workdir);
    for (const dep of ['fastify', 'better-sqlite3', 'pg', 'zod']) expect(existsSync(join(app, 'node_modules', dep)), dep).toBe(true);
    for (const dev of ['vitest', 'typescript', 'tsx', 'fast-check', 'playwright-core']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(app, 'dist/main.js'))).toBe(true);
    expect(existsSync(join(app, 'dist/store/migrations/sqlite/0001_init.sql'))).toBe(true);
    expect(existsSync(join(app, 'web/dist/index.html'))).toBe(true);
    expect(existsSync(join(app, 'src'))).toBe(false);
  });

  it('starts with its CMD, answers, passes its HEALTHCHECK, and its purse command runs from the build', async () => {
    const app = join(runtime.root, runtime.workdir);
    // The image's settings, with the port and the /data volume of this machine.
    const env = {
      PATH: process.env.PATH ?? '',
      ...runtime.env,
      HOST: '127.0.0.1',
      PORT: '0',
      PURSE_DATABASE_URL: `sqlite:${join(runtime.root, 'data/purse.db')}`,
      PURSE_PAYMENTS: 'sandbox',
      PURSE_API_KEY: API_KEY,
    };
    const [cmd, ...args] = runtime.cmd!;
    server = spawn(cmd!, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout!.on('data', (d) => (out += d));
    server.stderr!.on('data', (d) => (out += d));
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start:\n${out}`)), 60_000);
      server!.stdout!.on('data', () => {
        const m = /API:\s+(http:\/\/\S+)\/v1/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      server!.once('exit', (code) => reject(new Error(`the server exited with ${code}:\n${out}`)));
    });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const pricing = await fetch(`${base}/v1/pricing`);
    expect(pricing.status).toBe(200);
    const put = await fetch(`${base}/v1/tools/image-tool`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Tool', credits: 2 }),
    });
    expect(put.status).toBe(201);
    expect((await fetch(`${base}/`)).headers.get('content-type')).toContain('text/html');

    const port = new URL(base).port;
    const health = runtime.healthcheck!;
    const probe = await exec(health[0]!, health.slice(1), { cwd: app, env: { ...env, PORT: port } }).then(
      () => 0,
      (err: { code: number }) => err.code,
    );
    expect(probe).toBe(0);
    expect(health.join(' ')).toContain('/readyz');

    const cli = await exec('node', ['bin/purse.mjs', 'migrate', '--status'], { cwd: app, env });
    expect(cli.stdout).toContain(`Database: sqlite:${join(runtime.root, 'data/purse.db')}`);
    expect(cli.stdout).toMatch(/\d+ applied, 0 pending\./);
  });
});
