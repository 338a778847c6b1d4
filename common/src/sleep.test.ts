import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sleep } from './sleep.js';

describe('sleep', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('resolves after ms, and removes its abort listener', async () => {
    const ac = new AbortController();
    const remove = vi.spyOn(ac.signal, 'removeEventListener');
    let done = false;
    const p = sleep(100, ac.signal).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(done).toBe(true);
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
  });

  it('resolves as soon as the signal aborts, and at once if it already has', async () => {
    const ac = new AbortController();
    let done = false;
    const p = sleep(60_000, ac.signal).then(() => (done = true));
    ac.abort();
    await p;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await sleep(60_000, ac.signal); // already aborted: no timer
    expect(vi.getTimerCount()).toBe(0);
  });
});
