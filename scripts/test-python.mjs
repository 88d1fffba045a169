// Runs the Python SDK's tests (sdk/python/tests, `python -m unittest`) against a real
// Purse: the server from src through tsx on a free port with a fresh SQLite database and
// the test clock, and the SDK pip-installed (--no-build-isolation, no index) into a fresh
// venv. Exits with the suite's status. Without Python 3.9+ it says so loudly and passes,
// except in CI (CI=true), where that is a failure.
//
//   node scripts/test-python.mjs                  # the whole suite
//   node scripts/test-python.mjs test_webhooks    # unittest names: modules, classes, tests
//   PURSE_PYTHON=python3.9 node scripts/test-python.mjs
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SDK = join(ROOT, 'sdk', 'python');
const PYTHON = process.env.PURSE_PYTHON || 'python3';
const START_TIMEOUT_MS = 60_000;

const probe = spawnSync(PYTHON, ['-c', 'import sys, venv; print("%d.%d" % sys.version_info[:2]); sys.exit(0 if sys.version_info >= (3, 9) else 3)'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  const why = probe.error ? `${PYTHON} was not found` : probe.status === 3 ? `${PYTHON} is ${probe.stdout.trim()}, older than 3.9` : `${PYTHON} has no venv module`;
  const line = '!'.repeat(78);
  console.error(`\n${line}\n!! The Python SDK tests did NOT run: ${why}.\n!! Install Python 3.9+ with venv (apt-get install -y python3 python3-venv) or set PURSE_PYTHON.\n${line}\n`);
  process.exit(process.env.CI === 'true' ? 1 : 0);
}
console.log(`Python SDK tests with ${PYTHON} ${probe.stdout.trim()}`);

const work = mkdtempSync(join(tmpdir(), 'purse-python-'));
const apiKey = `sk_pytest_${randomBytes(16).toString('hex')}`;
let server;
let status = 1;
try {
  server = await startServer({
    PORT: '0',
    HOST: '127.0.0.1',
    PURSE_DATABASE_URL: `sqlite:${join(work, 'purse.db')}`,
    PURSE_API_KEY: apiKey,
    PURSE_TEST_CLOCK: '1',
    PURSE_DEMO: '0',
    PURSE_PAYMENTS: 'sandbox',
    PURSE_SWEEP_SECONDS: '1',
    PURSE_WEBHOOK_POLL_MS: '50',
    LOG_LEVEL: 'warn',
  });
  console.log(`Purse at ${server.url}`);

  const venv = join(work, 'venv');
  run(PYTHON, ['-m', 'venv', venv]);
  const venvPython = join(venv, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
  // No index is reachable and a fresh venv has no `wheel`: the package's own build backend makes the wheel.
  run(venvPython, ['-m', 'pip', 'install', '--quiet', '--no-index', '--no-build-isolation', '--disable-pip-version-check', SDK]);

  const suite = spawnSync(venvPython, ['-m', 'unittest', '-v', ...process.argv.slice(2)], {
    cwd: join(SDK, 'tests'),
    stdio: 'inherit',
    env: { ...process.env, PURSE_TEST_URL: server.url, PURSE_TEST_API_KEY: apiKey, PYTHONDONTWRITEBYTECODE: '1' },
  });
  status = suite.status ?? 1;
  if (status !== 0) console.error(`\nServer output:\n${server.output().slice(-5000)}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  if (server) console.error(`\nServer output:\n${server.output().slice(-5000)}`);
} finally {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
}
process.exit(status);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
}

/** Starts src/main.ts through tsx and waits until it prints its API address. */
async function startServer(env) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Purse did not start in ${START_TIMEOUT_MS / 1000} s:\n${out}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', () => {
      const m = /API:\s+(http:\/\/\S+)\/v1/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Purse exited with ${code} before starting:\n${out}`));
    });
  });
  return {
    url,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
