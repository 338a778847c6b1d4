/**
 * Resolves after `ms`, or as soon as `signal` aborts (at once if it already has, or if
 * `ms` <= 0). Never rejects; the abort listener is removed when the timer fires, so a
 * long-lived signal does not collect one listener per sleep.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
