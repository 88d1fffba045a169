import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { view } from './http/views.js';
import { systemClock } from './service/clock.js';
import { startDeliveryWorker, type DeliveryOptions } from './service/webhooks.js';
import { openStore } from './store/open-store.js';

/** The delivery worker's settings, as a thread receives them. */
export type ThreadOptions = Omit<DeliveryOptions, 'render' | 'onError'>;

type FromThread = { kind: 'ready' } | { kind: 'error'; message: string };
type ToThread = { kind: 'wake' } | { kind: 'stop' };

/** How long a thread may take to open its own connection before the process delivers in its own event loop instead. */
const START_TIMEOUT_MS = 10_000;
/** The wait before a thread that ended by itself is started again; it doubles up to {@link RESTART_MAX_MS} while restarts keep failing. */
const RESTART_BASE_MS = 1_000;
const RESTART_MAX_MS = 30_000;

/**
 * Runs the webhook delivery worker in a thread of its own, with its own
 * connection to the database: sending events then uses a core the API's event
 * loop does not, and never delays a request. Resolves null when a thread cannot
 * start here (an in-memory database, or a runner that cannot load the thread's
 * code); the caller then runs the worker in its own event loop. A thread that
 * ends by itself (an uncaught error) is reported and started again, so events
 * keep going out; `stop` resolves once the thread has closed its connection,
 * or at once if no thread is running.
 */
export async function startDeliveryThread(
  databaseUrl: string,
  options: ThreadOptions,
  onError: (message: string) => void,
): Promise<{ stop(): Promise<void>; wake(): void } | null> {
  if (databaseUrl === 'sqlite::memory:' || databaseUrl === 'sqlite:') return null;
  const data = { databaseUrl, options };
  let worker = await launch(data, onError);
  if (!worker) return null;
  let stopping = false;
  let restartDelay = RESTART_BASE_MS;
  let restartTimer: NodeJS.Timeout | null = null;
  let exited: Promise<void> = Promise.resolve();

  const watch = (w: Worker) => {
    exited = new Promise<void>((done) =>
      w.once('exit', (code) => {
        done();
        if (stopping || worker !== w) return;
        worker = null;
        onError(`the webhook delivery thread ended by itself (exit code ${code}); starting it again in ${restartDelay} ms`);
        restartTimer = setTimeout(restart, restartDelay);
        restartTimer.unref();
      }),
    );
  };
  const restart = async () => {
    restartTimer = null;
    if (stopping) return;
    const next = await launch(data, onError);
    if (stopping) {
      await next?.terminate();
      return;
    }
    if (next) {
      restartDelay = RESTART_BASE_MS;
      worker = next;
      watch(next);
      return;
    }
    restartDelay = Math.min(restartDelay * 2, RESTART_MAX_MS);
    onError(`the webhook delivery thread did not start again; trying in ${restartDelay} ms`);
    restartTimer = setTimeout(restart, restartDelay);
    restartTimer.unref();
  };
  watch(worker);
  return {
    wake: () => worker?.postMessage({ kind: 'wake' } satisfies ToThread),
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const w = worker;
      if (!w) return;
      // Kept alive until the thread has stopped its worker and closed its connection.
      w.ref();
      w.postMessage({ kind: 'stop' } satisfies ToThread);
      await exited;
    },
  };
}

/** Starts a thread and waits until it has opened its store; null when it cannot start. */
function launch(data: unknown, onError: (message: string) => void): Promise<Worker | null> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = newThread(data);
    } catch {
      resolve(null);
      return;
    }
    let started = false;
    const fail = () => {
      if (started) return;
      started = true;
      void worker.terminate();
      resolve(null);
    };
    const timer = setTimeout(fail, START_TIMEOUT_MS);
    worker.on('error', (err) => (started ? onError(err.message) : fail()));
    worker.once('exit', fail);
    worker.on('message', (message: FromThread) => {
      if (message.kind === 'error') onError(message.message);
      if (message.kind !== 'ready' || started) return;
      started = true;
      clearTimeout(timer);
      worker.unref();
      resolve(worker);
    });
  });
}

/**
 * A thread running this file. Built, it is plain JavaScript; run from source
 * through tsx (npm run dev, the tests' server processes), a thread does not
 * inherit tsx's loader, so a small bootstrap registers it first.
 */
function newThread(data: unknown): Worker {
  const self = new URL(import.meta.url);
  if (!self.pathname.endsWith('.ts')) return new Worker(self, { workerData: data });
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(self.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

/** The thread's side: its own store, the worker, and the messages that wake and stop it. */
async function runThread(): Promise<void> {
  const { databaseUrl, options } = workerData as { databaseUrl: string; options: ThreadOptions };
  // Its writes are the outbox's bookkeeping: one lost to a power cut only repeats a delivery.
  const store = await openStore(databaseUrl, { migrate: false, syncEachCommit: false });
  const worker = startDeliveryWorker(
    { store, clock: systemClock },
    { ...options, render: view.event, onError: (err) => parentPort!.postMessage({ kind: 'error', message: String(err) } satisfies FromThread) },
  );
  parentPort!.on('message', async (message: ToThread) => {
    if (message.kind === 'wake') worker.wake();
    if (message.kind === 'stop') {
      try {
        await worker.stop();
        await store.close();
      } finally {
        // In a thread, exit ends this thread only (a loader's channel would otherwise keep it alive).
        process.exit(0);
      }
    }
  });
  parentPort!.postMessage({ kind: 'ready' } satisfies FromThread);
}

if (!isMainThread && parentPort && (workerData as { databaseUrl?: unknown } | null)?.databaseUrl) void runThread();
