/**
 * The commands a QmpClient has on the wire, by id: at most `maxInFlight` (8) plus the
 * few abandoned after a timeout, so a small array searched from the front (replies come
 * back in order: the match is almost always the first entry).
 *
 * Not a `Map`, measured: a Map that gains and loses ~7 entries per tick re-allocates its
 * hash table, and V8 links each obsolete table to its successor. Once one table had been
 * promoted to the old generation, that link kept every later table, and through them the
 * commands' promises, closures and parsed replies, alive through young-generation GCs
 * until the next full GC: 20 VMs at 10 ticks/s promoted 37–39 MB in 14 s instead of 5 MB,
 * and cost 0.05 ms CPU per poll (`--trace-gc-nvp`, --trace-gc-object-stats).
 * Removal shifts the array in place, so nothing is allocated per command.
 */
export class InFlight<T extends { readonly id: string }> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    this.items.push(item);
  }

  /** Removes and returns the entry with this id. */
  take(id: string): T | undefined {
    const i = this.indexOf(id);
    return i < 0 ? undefined : this.removeAt(i);
  }

  /** Removes `item`; false if it was not in flight. */
  remove(item: T): boolean {
    const i = this.items.indexOf(item);
    if (i < 0) return false;
    this.removeAt(i);
    return true;
  }

  /** Empties the registry and returns what it held, oldest first. */
  drain(): T[] {
    return this.items.splice(0);
  }

  /** A copy, oldest first. */
  snapshot(): T[] {
    return this.items.slice();
  }

  private indexOf(id: string): number {
    const a = this.items;
    for (let i = 0; i < a.length; i++) if (a[i]!.id === id) return i;
    return -1;
  }

  private removeAt(i: number): T {
    const a = this.items;
    const item = a[i]!;
    for (let j = i + 1; j < a.length; j++) a[j - 1] = a[j]!;
    a.length--;
    return item;
  }
}
