/**
 * The rows one write (or one batch of writes) inserts and updates, each written
 * once as it ended: a row inserted and then changed is one insert of its last
 * state; a row changed twice is one update.
 */
export class RowChanges<T extends { id: string }> {
  private readonly inserts = new Map<string, T>();
  private readonly updates = new Map<string, T>();

  insert(row: T): void {
    this.inserts.set(row.id, row);
  }

  update(row: T): void {
    (this.inserts.has(row.id) ? this.inserts : this.updates).set(row.id, row);
  }

  get inserted(): T[] {
    return [...this.inserts.values()];
  }

  get updated(): T[] {
    return [...this.updates.values()];
  }

  get size(): number {
    return this.inserts.size + this.updates.size;
  }
}
