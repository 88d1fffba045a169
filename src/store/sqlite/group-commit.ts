import type Database from 'better-sqlite3';
import type { CustomerLoad, CustomerSnapshot, Decision, WriteStats } from '../store.js';

interface PendingWrite {
  customerId: string;
  load: CustomerLoad;
  decide: (s: CustomerSnapshot) => Decision<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A write whose statements failed after some of them ran: its group's transaction is rolled back. */
class WriteFailed extends Error {
  constructor(
    readonly index: number,
    override readonly cause: unknown,
  ) {
    super('a write of the group failed while being written');
  }
}

/** The most writes one commit takes; more wait for the next. */
export const MAX_GROUP = 256;

/** How long a group waits for another connection's write lock before its writes fail. */
export interface LockWait {
  timeoutMs: number;
  /** The pause between tries. */
  retryMs: number;
}

/**
 * SQLite's write engine, group commit: every write that arrives while the event
 * loop is busy joins one transaction, committed (and fsynced) once; each is
 * answered only after that commit. `step` reads one write's snapshot and decides
 * it, inside the transaction, and gives back the thunk that writes the decision.
 * A write refused while deciding has written nothing, so no write needs a
 * savepoint of its own (each costs a statement journal of the pages it
 * touches): in the rare case that a statement fails once a write has started
 * writing, the whole group is rolled back, that write is answered with its
 * error, and the others are decided again and committed without it.
 *
 * When another connection holds the write lock (the webhook thread recording a
 * batch), the group does not wait in SQLite's busy handler, which would put the
 * whole event loop to sleep in growing steps (1, 2, 5 … 100 ms) past the moment
 * the lock is free: BEGIN fails at once, the group goes back to the front of the
 * queue, and it tries again `retryMs` later while the event loop serves
 * requests, whose writes join it.
 */
export class GroupCommit {
  private readonly pending: PendingWrite[] = [];
  private flushScheduled = false;
  private readonly stats: WriteStats = { commits: 0, writes: 0, conflicts: 0 };
  /** The group's transaction: each write's outcome, whatever the others' were. */
  private readonly runGroup: Database.Transaction<(group: PendingWrite[]) => Outcome[]>;
  /** Whether the group's transaction began (BEGIN took the lock): a busy error before it changed nothing. */
  private began = false;
  /** Since when the group at the front has waited for the lock; null when it is not waiting. */
  private waitingSince: number | null = null;
  /** Whether a busy write lock is waited for in SQLite's busy handler (up to `lockWait.timeoutMs`) or refused at once. */
  private readonly waitInBusyHandler: (wait: boolean) => void;

  constructor(
    db: Database.Database,
    step: (customerId: string, load: CustomerLoad, decide: (s: CustomerSnapshot) => Decision<unknown>) => () => unknown,
    private readonly lockWait: LockWait,
  ) {
    // Prepared once: db.pragma() prepares its statement on every call, twice a commit here.
    const noWait = db.prepare('PRAGMA busy_timeout = 0');
    const wait = db.prepare(`PRAGMA busy_timeout = ${lockWait.timeoutMs}`);
    this.waitInBusyHandler = (waits) => void (waits ? wait : noWait).get();
    this.runGroup = db.transaction((group: PendingWrite[]) => {
      this.began = true;
      return group.map((write, i): Outcome => {
        let commit: () => unknown;
        try {
          commit = step(write.customerId, write.load, write.decide);
        } catch (error) {
          // Refused while deciding: nothing of this write was written.
          return { ok: false, error };
        }
        try {
          return { ok: true, value: commit() };
        } catch (error) {
          // A statement failed halfway through a write: the whole group is undone and made again without it.
          throw new WriteFailed(i, error);
        }
      });
    });
  }

  transact<R>(customerId: string, load: CustomerLoad, decide: (s: CustomerSnapshot) => Decision<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ customerId, load, decide, resolve, reject } as PendingWrite);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything still waiting (at close), waiting for the lock in SQLite's busy handler. */
  drain(): void {
    while (this.pending.length > 0) this.flush(true);
  }

  /** How many writes joined how many commits. */
  writeStats(): WriteStats {
    return { ...this.stats };
  }

  private flush(blocking = false): void {
    this.flushScheduled = false;
    const group = this.pending.splice(0, MAX_GROUP);
    if (this.pending.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    if (group.length === 0) return;
    let outcomes: Outcome[];
    for (;;) {
      this.began = false;
      if (!blocking) this.waitInBusyHandler(false);
      try {
        outcomes = this.runGroup.immediate(group);
        break;
      } catch (error) {
        if (error instanceof WriteFailed) {
          // Rolled back whole: the failed write is answered with its error, the others are decided and written again.
          group.splice(error.index, 1)[0]!.reject(error.cause);
          if (group.length > 0) continue;
          this.waitingSince = null;
          return;
        }
        const now = Date.now();
        if (!blocking && !this.began && (error as { code?: string }).code === 'SQLITE_BUSY' && now - (this.waitingSince ??= now) < this.lockWait.timeoutMs) {
          // Another connection holds the write lock: nothing ran; try again shortly, with whatever joins meanwhile.
          this.pending.unshift(...group);
          if (!this.flushScheduled) {
            this.flushScheduled = true;
            setTimeout(() => this.flush(), this.lockWait.retryMs);
          }
          return;
        }
        this.waitingSince = null;
        // The commit itself failed: nothing of the group was written.
        for (const write of group) write.reject(error);
        return;
      } finally {
        if (!blocking) this.waitInBusyHandler(true);
      }
    }
    this.waitingSince = null;
    this.stats.commits++;
    this.stats.writes += group.length;
    group.forEach((write, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
  }
}
