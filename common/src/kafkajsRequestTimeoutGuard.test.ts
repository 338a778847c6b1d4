/**
 * The guard against kafkajs 2.2.4's idle request time-out interval, on kafkajs's real
 * RequestQueue with fake timers: upstream keeps a 100 ms interval per connected queue for
 * as long as it is connected; guarded, the interval runs only while a request is in flight,
 * and a request that outlives its time-out is still timed out as upstream does.
 */
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { installKafkajsGuards } from './kafkajsGuards.js';
import { GUARDED_KAFKAJS_VERSIONS, installKafkajsRequestQueueGuard } from './kafkajsRequestQueueGuard.js';
import { guardRequestTimeoutClass, installKafkajsRequestTimeoutGuard } from './kafkajsRequestTimeoutGuard.js';

interface Queue {
  inflight: Map<number, unknown>;
  scheduleRequestTimeoutCheck(): void;
  destroy(): void;
  push(r: { entry: Entry; expectResponse: boolean; sendRequest: () => void; requestTimeout?: number }): void;
  fulfillRequest(r: { correlationId: number; payload: Buffer; size: number }): void;
}
interface Entry {
  correlationId: number;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  resolve: () => void;
  reject: (e: Error) => void;
}
type QueueClass = new (o: Record<string, unknown>) => Queue;

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as QueueClass;
const proto = RequestQueue.prototype as unknown as Record<string, ((this: Queue, ...a: unknown[]) => void) & Record<symbol, unknown>>;
const MARK = Symbol.for('qmpipe.kafkajsRequestTimeoutGuard');
/** The methods as kafkajs ships them (taken from the guard's mark if it is installed). */
const upstream = (name: string) => (proto[name]?.[MARK] ?? proto[name]) as (this: Queue, ...a: unknown[]) => void;

class UnguardedQueue extends RequestQueue {
  override scheduleRequestTimeoutCheck(this: Queue): void {
    upstream('scheduleRequestTimeoutCheck').call(this);
  }
  sendSocketRequest(this: Queue, ...a: unknown[]): void {
    upstream('sendSocketRequest').apply(this, a);
  }
  override destroy(this: Queue): void {
    upstream('destroy').call(this);
  }
}

const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
let connected = true;
function connectedQueue(cls: QueueClass = RequestQueue): Queue {
  const q = new cls({
    maxInFlightRequests: null,
    requestTimeout: 1_000,
    enforceRequestTimeout: true,
    clientId: 'unit',
    broker: 'b:1',
    logger,
    isConnected: () => connected,
  });
  q.scheduleRequestTimeoutCheck(); // what Connection does on connect
  return q;
}

let nextId = 0;
function push(q: Queue): { id: number; rejected: () => Error | undefined } {
  const id = ++nextId;
  let rejected: Error | undefined;
  const entry: Entry = { correlationId: id, apiKey: 3, apiName: 'Metadata', apiVersion: 6, resolve: () => {}, reject: (e) => void (rejected = e) };
  q.push({ entry, expectResponse: true, sendRequest: () => {} });
  return { id, rejected: () => rejected };
}
const respond = (q: Queue, id: number): void => q.fulfillRequest({ correlationId: id, payload: Buffer.alloc(0), size: 0 });

describe('kafkajs request time-out guard', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    connected = true;
    installKafkajsRequestQueueGuard(); // else the busy loop's 1 ms timer is counted too
    installKafkajsRequestTimeoutGuard();
  });
  afterEach(() => vi.useRealTimers());

  it('upstream 2.2.4 keeps a 100 ms interval per connected queue while idle (what the guard removes)', () => {
    const q = connectedQueue(UnguardedQueue);
    respond(q, push(q).id);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(vi.getTimerCount()).toBe(1); // 100 wake-ups later, still armed
    q.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('arms nothing on connect and nothing once the last response came', () => {
    const q = connectedQueue();
    expect(vi.getTimerCount()).toBe(0);
    const r = push(q);
    expect(vi.getTimerCount()).toBe(1);
    respond(q, r.id);
    vi.advanceTimersByTime(100); // the interval sees nothing in flight and disarms itself
    expect(vi.getTimerCount()).toBe(0);
    const again = push(q); // and a later request re-arms it
    expect(vi.getTimerCount()).toBe(1);
    respond(q, again.id);
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still times out a request that outlives its time-out, within one period', () => {
    const q = connectedQueue();
    const r = push(q);
    vi.advanceTimersByTime(1_000);
    expect(r.rejected()).toBeUndefined();
    vi.advanceTimersByTime(100);
    expect(r.rejected()?.name).toBe('KafkaJSRequestTimeoutError');
    expect(q.inflight.size).toBe(0);
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('destroys the queue when the connection is gone, as upstream', () => {
    const q = connectedQueue();
    push(q);
    connected = false;
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBe(0);
    push(q); // destroyed (as on disconnect): nothing re-arms until the next connect
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does nothing for a queue that does not enforce time-outs', () => {
    const q = new RequestQueue({ maxInFlightRequests: null, requestTimeout: 1_000, enforceRequestTimeout: false, clientId: 'u', broker: 'b:1', logger });
    q.scheduleRequestTimeoutCheck();
    push(q);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is installed by installKafkajsGuards, once; refuses versions and classes it was not written for', () => {
    installKafkajsGuards();
    expect(MARK in proto.scheduleRequestTimeoutCheck!).toBe(true);
    expect(installKafkajsRequestTimeoutGuard()).toBe(false);
    class Fake {
      scheduleRequestTimeoutCheck(): void {}
      sendSocketRequest(): void {}
      destroy(): void {}
    }
    expect(() => guardRequestTimeoutClass(Fake, '2.3.0')).toThrow(/kafkajs 2\.3\.0 is installed/);
    expect(() => guardRequestTimeoutClass(class {}, GUARDED_KAFKAJS_VERSIONS[0])).toThrow(/not found/);
    expect(guardRequestTimeoutClass(Fake, GUARDED_KAFKAJS_VERSIONS[0])).toBe(true);
    expect(guardRequestTimeoutClass(Fake, GUARDED_KAFKAJS_VERSIONS[0])).toBe(false);
  });
});
