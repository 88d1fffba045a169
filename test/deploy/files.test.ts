import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readConfig } from '../../src/config.js';
import { parseDockerfile, parseEnv } from './dockerfile.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const exec = promisify(execFile);

/** KEY=value lines, as systemd's EnvironmentFile and compose's .env read them. */
function envFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** Compose's interpolation: `${X}`, `${X:-default}`, and `${X:?message}` (an error when X is unset or empty). */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    const v = env[name];
    if (v) return v;
    if (op === '?') throw new Error(`compose refuses: ${arg}`);
    return op === '-' ? (arg ?? '') : '';
  });
}

describe('compose.yaml', () => {
  const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'));
  const example = envFile(join(ROOT, 'deploy/purse.env.example'));

  it('runs Purse from this Dockerfile on a PostgreSQL that is healthy first', () => {
    const { postgres, purse } = compose.services;
    expect(postgres.image).toMatch(/^postgres:\d+/);
    expect(postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(purse.build).toBe('.');
    expect(purse.depends_on.postgres.condition).toBe('service_healthy');
    expect(Object.keys(compose.volumes)).toContain('pgdata');
    expect(postgres.volumes[0]).toMatch(/^pgdata:\/var\/lib\/postgresql\/data$/);
  });

  it('gives Purse a URL to that database and a configuration the server accepts', () => {
    const { postgres, purse } = compose.services;
    const env = Object.fromEntries(Object.entries(purse.environment as Record<string, string>).map(([k, v]) => [k, interpolate(String(v), example)]));
    const url = new URL(env.PURSE_DATABASE_URL!);
    expect(url.protocol).toBe('postgres:');
    expect(url.hostname).toBe('postgres');
    expect(url.username).toBe(postgres.environment.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(interpolate(postgres.environment.POSTGRES_PASSWORD, example));
    expect(url.pathname).toBe(`/${postgres.environment.POSTGRES_DB}`);
    // With the image's own ENV beneath compose's.
    const image = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).at(-1)!;
    const imageEnv = Object.assign({}, ...image.steps.filter((s) => s.op === 'ENV').map((s) => parseEnv(s.args)));
    const config = readConfig({ ...imageEnv, ...env });
    expect(config.databaseUrl).toBe(env.PURSE_DATABASE_URL);
    expect(config.host).toBe('0.0.0.0');
    expect(config.payments).toBe('stripe');
    expect(config.demo).toBe(false);
    // The container listens on the port the image exposes.
    expect(purse.ports[0]).toMatch(/:3000$/);
    expect(parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).at(-1)!.steps.some((s) => s.op === 'EXPOSE' && s.args === '3000')).toBe(true);
  });

  it('refuses to start without the secrets', () => {
    const { purse, postgres } = compose.services;
    expect(() => interpolate(postgres.environment.POSTGRES_PASSWORD, {})).toThrow(/POSTGRES_PASSWORD/);
    expect(() => interpolate(purse.environment.PURSE_PAYMENTS, {})).toThrow(/PURSE_PAYMENTS/);
    expect(() => interpolate(purse.environment.PURSE_SESSION_SECRET, {})).toThrow(/PURSE_SESSION_SECRET/);
  });
});

describe('the systemd unit', () => {
  const unit = readFileSync(join(ROOT, 'deploy/purse.service'), 'utf8');

  it('runs the build as an unprivileged user with its settings from an EnvironmentFile', () => {
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node dist\/main\.js$/m);
    expect(unit).toMatch(/^User=purse$/m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/purse\/purse\.env$/m);
    expect(unit).toMatch(/^StateDirectory=purse$/m);
    for (const option of ['NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'CapabilityBoundingSet=']) expect(unit).toContain(`\n${option}\n`);
    // The example settings are a configuration the server accepts.
    expect(readConfig(envFile(join(ROOT, 'deploy/purse.env.example'))).databaseUrl).toBe('sqlite:/var/lib/purse/purse.db');
  });

  it.skipIf(!existsSync('/usr/bin/systemd-analyze'))('passes systemd-analyze verify without a warning', async () => {
    const { stderr } = await exec('systemd-analyze', ['verify', join(ROOT, 'deploy/purse.service')]);
    expect(stderr).toBe('');
  });
});
