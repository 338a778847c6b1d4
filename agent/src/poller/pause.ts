/**
 * The poller's waits (until the next tick, before a reconnect): a timer that `wake()`
 * cuts short once the wait's `ends()` holds (the poller stopped, or its connection
 * closed), so a stop or an EOF is acted on at once instead of at the next tick.
 */
export class Pause {
  private waker: (() => void) | undefined;

  sleep(ms: number, ends: () => boolean): Promise<void> {
    if (ms <= 0 || ends()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waker = () => {
        if (ends()) done();
      };
    });
  }

  wake(): void {
    this.waker?.();
  }
}
