/**
 * One task at a time per lane: the writer's batches and its timer's flushes of one
 * rollups-topic partition run in turn, so a lane's objects are put in order (a later
 * object of a span never stored before an earlier one: objects.ts skips by the last stored).
 */
export class LaneQueue {
  private readonly tails = new Map<number, Promise<unknown>>();

  /** Runs `fn` once every task queued before it for `partition` ended (failed or not). */
  async run<T>(partition: number, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(partition) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const tail = mine.catch(() => {});
    this.tails.set(partition, tail);
    try {
      return await mine;
    } finally {
      if (this.tails.get(partition) === tail) this.tails.delete(partition);
    }
  }
}
