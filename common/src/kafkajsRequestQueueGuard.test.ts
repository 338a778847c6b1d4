/**
 * The guard against kafkajs 2.2.4's idle busy loop (kafkajs issues #1556/#1704) on kafkajs's
 * real RequestQueue, with fake timers: nothing is armed once idle, and the cases that need a
 * later check (client-side throttling, the in-flight limit) still get it, as upstream.
 */
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { installKafkajsGuards } from './kafkajsGuards.js';
import {
  guardRequestQueueClass,
  GUARDED_KAFKAJS_VERSIONS,
  installKafkajsRequestQueueGuard,
  kafkajsRequestQueueGuardInstalled,
} from './kafkajsRequestQueueGuard.js';

interface Queue {
  pending: unknown[];
  throttleCheckTimeoutId: unknown;
  push(r: { entry: Entry; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(r: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(ms: number): void;
  checkPendingRequests(): void;
}
interface Entry {
  correlationId: number;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  resolve: () => void;
  reject: () => void;
}
type QueueClass = new (o: Record<string, unknown>) => Queue;

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as QueueClass;
const proto = RequestQueue.prototype as unknown as Record<string | symbol, unknown>;
// The method as kafkajs ships it (taken from the guard's mark if another test installed it first).
const current = proto.scheduleCheckPendingRequests as ((this: Queue) => void) & Record<symbol, unknown>;
const upstream = (current[Symbol.for('qmpipe.kafkajsRequestQueueGuard')] ?? current) as (this: Queue) => void;

class UnguardedQueue extends RequestQueue {
  scheduleCheckPendingRequests(this: Queue): void {
    upstream.call(this);
  }
}

const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
function queue(cls: QueueClass = RequestQueue, maxInFlightRequests: number | null = null): Queue {
  return new cls({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'unit', broker: 'b:1', logger });
}

let nextId = 0;
/** Pushes a request; returns its correlation id and how many times it went out on the wire. */
function push(q: Queue): { id: number; sent: () => number } {
  const id = ++nextId;
  let sent = 0;
  const entry: Entry = { correlationId: id, apiKey: 3, apiName: 'Metadata', apiVersion: 6, resolve: () => {}, reject: () => {} };
  q.push({ entry, expectResponse: true, sendRequest: () => void sent++ });
  return { id, sent: () => sent };
}
const respond = (q: Queue, id: number): void => q.fulfillRequest({ correlationId: id, payload: Buffer.alloc(0), size: 0 });

describe('kafkajs RequestQueue guard', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    installKafkajsRequestQueueGuard();
  });
  afterEach(() => vi.useRealTimers());

  it('upstream 2.2.4 keeps re-arming a timer once a response came (what the guard removes)', () => {
    const q = queue(UnguardedQueue);
    const spy = vi.spyOn(q, 'checkPendingRequests');
    respond(q, push(q).id);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(100);
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(90); // one per millisecond, forever
    expect(vi.getTimerCount()).toBe(1);
  });

  it('arms nothing once idle (no request pending, not throttled)', () => {
    const q = queue();
    const r = push(q);
    expect(r.sent()).toBe(1);
    respond(q, r.id);
    expect(vi.getTimerCount()).toBe(0);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('sends a request held back by client-side throttling when the throttle ends', () => {
    const q = queue();
    respond(q, push(q).id);
    q.maybeThrottle(50);
    const r = push(q);
    expect(r.sent()).toBe(0);
    expect(q.pending).toHaveLength(1);
    vi.advanceTimersByTime(49);
    expect(r.sent()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(r.sent()).toBe(1);
    expect(q.pending).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0); // and then idles
  });

  it('keeps the upstream check when throttled with nothing pending, once', () => {
    const q = queue();
    respond(q, push(q).id);
    q.maybeThrottle(100);
    q.checkPendingRequests();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps the 10 ms re-check while requests wait for the in-flight limit', () => {
    const q = queue(RequestQueue, 1);
    const a = push(q);
    const b = push(q);
    expect([a.sent(), b.sent()]).toEqual([1, 0]);
    expect(vi.getTimerCount()).toBe(1);
    respond(q, a.id);
    expect(b.sent()).toBe(1);
    respond(q, b.id);
    vi.advanceTimersByTime(10); // the re-check armed while b waited fires once and re-arms nothing
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is installed by installKafkajsGuards, once', () => {
    installKafkajsGuards();
    expect(kafkajsRequestQueueGuardInstalled()).toBe(true);
    expect(installKafkajsRequestQueueGuard()).toBe(false);
  });

  it('refuses kafkajs versions and classes it was not written for', () => {
    class Fake {
      scheduleCheckPendingRequests(): void {}
    }
    expect(() => guardRequestQueueClass(Fake, '2.3.0')).toThrow(/kafkajs 2\.3\.0 is installed.*GUARDED_KAFKAJS_VERSIONS/);
    expect(() => guardRequestQueueClass(class {}, GUARDED_KAFKAJS_VERSIONS[0])).toThrow(/scheduleCheckPendingRequests not found/);
    expect(guardRequestQueueClass(Fake, GUARDED_KAFKAJS_VERSIONS[0])).toBe(true);
    expect(guardRequestQueueClass(Fake, GUARDED_KAFKAJS_VERSIONS[0])).toBe(false);
  });
});
