/**
 * Runtime guard for kafkajs 2.2.4's idle request time-out check (the second idle cost of
 * issue 16, after the busy loop that kafkajsRequestQueueGuard.ts removes).
 *
 * Upstream: `RequestQueue.scheduleRequestTimeoutCheck`
 * (node_modules/kafkajs/src/network/requestQueue/index.js), called once per connect, keeps a
 * `setInterval(…, min(requestTimeout, 100))` for as long as the connection is open. Every
 * 100 ms it times out in-flight requests older than their time-out and destroys the queue if
 * the connection is gone. With nothing in flight it has nothing to do, yet it wakes the main
 * thread 10 times a second per open connection: most of an idle agent's wake-ups, and more
 * for the processor, which holds a connection per partition producer.
 *
 * The guard arms the same interval only while a request is in flight:
 * - `scheduleRequestTimeoutCheck` (on connect) clears what upstream clears (`destroy`), marks
 *   the queue as enforcing, and arms the interval only if something is already in flight;
 * - `sendSocketRequest` runs upstream, then arms the interval if it is not armed and a
 *   request is now in flight (a request enters `inflight` only in its `send`, which
 *   `sendSocketRequest` calls, so no in-flight request is ever unwatched);
 * - the interval does upstream's two checks unchanged, then disarms itself once nothing is
 *   in flight; a later send re-arms it;
 * - `destroy` (disconnect) runs upstream, then forgets the interval and the mark.
 * A request's time-out is therefore detected at the same 100 ms granularity as upstream; the
 * only difference is that the first check comes 100 ms after the first send instead of on
 * a grid started at connect, which is still within upstream's tolerance of one period.
 *
 * Like the request-queue guard it patches the prototype (every connection of every client),
 * is idempotent, and THROWS (KAFKAJS_GUARD_UNSUPPORTED) on a kafkajs version it was not
 * written against instead of silently doing nothing. installKafkajsGuards (kafkajsGuards.ts)
 * installs it.
 */
import { createRequire } from 'node:module';
import { QmpipeError } from './errors.js';
import { GUARDED_KAFKAJS_VERSIONS } from './kafkajsRequestQueueGuard.js';

/** One in-flight request as kafkajs's SocketRequest exposes it. */
interface InflightRequest {
  readonly sentAt: number;
  readonly requestTimeout: number;
  timeoutRequest(): void;
}

/** The part of kafkajs's RequestQueue that the guard reads and writes. */
export interface TimeoutQueue {
  readonly enforceRequestTimeout: boolean;
  readonly requestTimeout: number;
  readonly inflight: Map<number, InflightRequest>;
  requestTimeoutIntervalId?: ReturnType<typeof setInterval> | undefined;
  isConnected(): boolean;
  destroy(): void;
}

type Method = (this: TimeoutQueue, ...args: unknown[]) => void;

const MARK = Symbol.for('qmpipe.kafkajsRequestTimeoutGuard');
/** Set on a queue between its connect and its destroy when it enforces request time-outs. */
const ENFORCING = Symbol.for('qmpipe.kafkajsRequestTimeoutGuard.enforcing');
type Marked = Method & { [MARK]: Method };
type GuardedQueue = TimeoutQueue & { [ENFORCING]?: boolean };

function marked(guarded: Method, upstream: Method): Method {
  (guarded as Marked)[MARK] = upstream;
  return guarded;
}

/** Upstream's interval body, plus: disarm once nothing is in flight. */
function check(q: GuardedQueue): void {
  q.inflight.forEach((request) => {
    if (Date.now() - request.sentAt > request.requestTimeout) request.timeoutRequest();
  });
  if (!q.isConnected()) {
    q.destroy();
    return;
  }
  if (q.inflight.size === 0) disarm(q);
}

function disarm(q: GuardedQueue): void {
  if (q.requestTimeoutIntervalId !== undefined) clearInterval(q.requestTimeoutIntervalId);
  q.requestTimeoutIntervalId = undefined;
}

/** Arms the check if the queue enforces time-outs, something is in flight and it is not armed. */
export function armIfInflight(q: GuardedQueue): void {
  if (!q[ENFORCING] || q.requestTimeoutIntervalId !== undefined || q.inflight.size === 0) return;
  q.requestTimeoutIntervalId = setInterval(() => check(q), Math.min(q.requestTimeout, 100));
}

/**
 * Replaces scheduleRequestTimeoutCheck, sendSocketRequest and destroy of the given RequestQueue
 * class by the guarded versions. Returns false if already guarded; throws on an unknown version
 * or a class without those methods. Exported for tests; production calls installKafkajsRequestTimeoutGuard.
 */
export function guardRequestTimeoutClass(requestQueue: unknown, version: unknown): boolean {
  if (typeof version !== 'string' || !GUARDED_KAFKAJS_VERSIONS.includes(version)) {
    throw unsupported(`kafkajs ${String(version)} is installed`, { version });
  }
  const proto = (requestQueue as { prototype?: Record<string | symbol, unknown> } | null)?.prototype;
  const names = ['scheduleRequestTimeoutCheck', 'sendSocketRequest', 'destroy'] as const;
  if (!proto || names.some((n) => typeof proto[n] !== 'function')) {
    throw unsupported(`kafkajs ${version}: RequestQueue.prototype.{${names.join(',')}} not found`, { version });
  }
  if (MARK in (proto.scheduleRequestTimeoutCheck as object)) return false;
  const send = proto.sendSocketRequest as Method;
  const destroy = proto.destroy as Method;
  proto.scheduleRequestTimeoutCheck = marked(function scheduleRequestTimeoutCheck(this: GuardedQueue) {
    if (!this.enforceRequestTimeout) return;
    this.destroy();
    this[ENFORCING] = true;
    armIfInflight(this);
  }, proto.scheduleRequestTimeoutCheck as Method);
  proto.sendSocketRequest = marked(function sendSocketRequest(this: GuardedQueue, ...args: unknown[]) {
    send.apply(this, args);
    armIfInflight(this);
  }, send);
  proto.destroy = marked(function destroyQueue(this: GuardedQueue) {
    destroy.call(this);
    this.requestTimeoutIntervalId = undefined;
    this[ENFORCING] = false;
  }, destroy);
  return true;
}

function unsupported(message: string, context: Record<string, unknown>): QmpipeError {
  return new QmpipeError(
    'KAFKAJS_GUARD_UNSUPPORTED',
    `${message}; common/src/kafkajsRequestTimeoutGuard.ts was written for kafkajs ${GUARDED_KAFKAJS_VERSIONS.join(', ')}: ` +
      'check the new src/network/requestQueue/index.js, then extend GUARDED_KAFKAJS_VERSIONS or remove the guard',
    { context },
  );
}

const require = createRequire(import.meta.url);

/** Installs the guard process-wide (idempotent; true the first time). installKafkajsGuards calls it. */
export function installKafkajsRequestTimeoutGuard(): boolean {
  let requestQueue: unknown;
  let version: unknown;
  try {
    version = (require('kafkajs/package.json') as { version?: unknown }).version;
    requestQueue = require('kafkajs/src/network/requestQueue/index.js') as unknown;
  } catch (err) {
    throw new QmpipeError('KAFKAJS_GUARD_UNSUPPORTED', `cannot load kafkajs's RequestQueue: ${(err as Error).message}`, { cause: err });
  }
  return guardRequestTimeoutClass(requestQueue, version);
}
