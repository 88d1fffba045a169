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

/** The most writes one commit takes; more wait for the next. */
export const MAX_GROUP = 256;

/**
 * SQLite's write engine, group commit: every write that arrives while the event
 * loop is busy joins one transaction, committed (and fsynced) once; each is
 * answered only after that commit. Each write runs under its own savepoint, so
 * one that fails is undone alone and its neighbours still commit. `step` reads
 * one write's snapshot, decides and applies it, inside the transaction.
 */
export class GroupCommit {
  private readonly pending: PendingWrite[] = [];
  private flushScheduled = false;
  private readonly stats: WriteStats = { commits: 0, writes: 0, conflicts: 0 };
  /** One write inside the group's transaction; better-sqlite3 nests it as a savepoint. */
  private readonly runOne: (write: PendingWrite) => unknown;
  /** The group's transaction: each write's outcome, whatever the others' were. */
  private readonly runGroup: Database.Transaction<(group: PendingWrite[]) => Outcome[]>;

  constructor(db: Database.Database, step: (customerId: string, load: CustomerLoad, decide: (s: CustomerSnapshot) => Decision<unknown>) => unknown) {
    this.runOne = db.transaction((write: PendingWrite) => step(write.customerId, write.load, write.decide));
    this.runGroup = db.transaction((group: PendingWrite[]) =>
      group.map((write): Outcome => {
        try {
          return { ok: true, value: this.runOne(write) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
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

  /** Commits everything still waiting (at close). */
  drain(): void {
    while (this.pending.length > 0) this.flush();
  }

  /** How many writes joined how many commits. */
  writeStats(): WriteStats {
    return { ...this.stats };
  }

  private flush(): void {
    this.flushScheduled = false;
    const group = this.pending.splice(0, MAX_GROUP);
    if (this.pending.length > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    if (group.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.runGroup.immediate(group);
    } catch (error) {
      // The commit itself failed: nothing of the group was written.
      for (const write of group) write.reject(error);
      return;
    }
    this.stats.commits++;
    this.stats.writes += group.length;
    group.forEach((write, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
  }
}
