import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** How long a server may take to shut down after SIGTERM before `stop` kills it and fails. */
const STOP_TIMEOUT_MS = 15_000;

export interface PurseProcess {
  url: string;
  child: ChildProcess;
  /** SIGKILL: no shutdown, no flush — a crash. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit; rejects (after SIGKILL) if the server has not exited within STOP_TIMEOUT_MS. */
  stop(): Promise<void>;
  output(): string;
}

/**
 * Starts the real server in its own process on a free port and waits until it
 * prints its address: from source (`src/main.ts` through tsx), or the build
 * (`dist/main.js`) with `built`. `env` is added to this process's environment.
 */
export async function spawnPurse(env: Record<string, string>, opts: { built?: boolean } = {}): Promise<PurseProcess> {
  const args = opts.built ? ['dist/main.js'] : ['--import', 'tsx', 'src/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', PURSE_DEMO: '0', PURSE_PAYMENTS: 'sandbox', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${out}`)), 30_000);
    const onData = () => {
      const m = /API:\s+(http:\/\/\S+)\/v1/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before starting:\n${out}`));
    });
  });
  return {
    url,
    child,
    output: () => out,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS)));
      const how = await Promise.race([exited.then(() => 'exited' as const), late]);
      clearTimeout(timer);
      if (how === 'late') {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`the server did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM and was killed; its output ended:\n${out.slice(-2000)}`);
      }
    },
  };
}
