/**
 * Runtime guard for a busy loop in kafkajs 2.2.4 (kafkajs issues #1556 and #1704; the fix,
 * kafkajs PR #1667, was never merged and kafkajs has had no release since).
 *
 * The bug: `RequestQueue.scheduleCheckPendingRequests`
 * (node_modules/kafkajs/src/network/requestQueue/index.js) arms
 * `setTimeout(checkPendingRequests, throttledUntil - Date.now())` even when no request is
 * pending. Unthrottled, that delay is negative (Node runs it after 1 ms), and
 * `checkPendingRequests` ends by calling `scheduleCheckPendingRequests` again, so once a
 * connection has served one response, every connection re-arms a 1 ms timer forever: about
 * 1,000 main-thread wake-ups per second per connection and 40-50 ms of CPU per second for an
 * idle agent or processor.
 *
 * The guard: replace `RequestQueue.prototype.scheduleCheckPendingRequests` by a function
 * that returns without arming anything when no request is pending and the queue is not
 * throttled (`throttledUntil <= Date.now()`), and otherwise calls the original kafkajs
 * method unchanged. So every case that is not the busy loop behaves exactly as upstream:
 * - requests pending and throttled: the check runs when the throttle ends;
 * - requests pending, merely over maxInFlightRequests: the 10 ms re-check of 2.2.4
 *   (fulfilled requests also trigger a check);
 * - throttled with nothing pending: one check when the throttle ends (upstream arms it too).
 * Skipping the unthrottled, empty case loses nothing: a request only becomes pending in
 * `push()`, which calls `scheduleCheckPendingRequests` right after queueing it, and
 * `fulfillRequest()`/request time-outs call `checkPendingRequests` themselves.
 * Patching the prototype (not instances) covers every connection of every client in the
 * process, including ones created before the guard was installed.
 *
 * Why at run time and not a patch-package patch: the project installs with
 * `npm ci --ignore-scripts`, so a postinstall patch would never be applied, and a runtime
 * guard also travels with any deployment that ships node_modules as installed (Lambda).
 *
 * Unknown kafkajs: `installKafkajsRequestQueueGuard` THROWS (KAFKAJS_GUARD_UNSUPPORTED) if
 * the installed kafkajs is not 2.2.4 or the method is missing, instead of silently doing
 * nothing. Every command that uses Kafka installs it at its start (installKafkajsGuards,
 * common/src/kafkajsGuards.ts), and package.json pins kafkajs to exactly 2.2.4, so an upgrade
 * is a deliberate change that fails this module's unit test, at which point someone must read
 * the new requestQueue/index.js and either extend GUARDED_KAFKAJS_VERSIONS or delete this
 * module if the loop is fixed there.
 */
import { createRequire } from 'node:module';
import { QmpipeError } from './errors.js';

/** The kafkajs versions whose requestQueue/index.js this guard was written against and checked. */
export const GUARDED_KAFKAJS_VERSIONS: readonly string[] = ['2.2.4'];

/** The part of kafkajs's RequestQueue that the guard reads. */
export interface RequestQueueState {
  readonly pending: { readonly length: number };
  /** ms since epoch until which kafkajs holds requests back (broker throttle); -1 initially. */
  readonly throttledUntil: number;
}

type ScheduleCheck = (this: RequestQueueState) => void;

/** Marks a guarded method (Symbol.for: the mark survives module re-evaluation, e.g. under vitest). */
const GUARDED = Symbol.for('qmpipe.kafkajsRequestQueueGuard');

interface GuardedScheduleCheck extends ScheduleCheck {
  [GUARDED]: ScheduleCheck;
}

/** `upstream` wrapped: a no-op when nothing is pending and the queue is not throttled. */
export function guardScheduleCheck(upstream: ScheduleCheck): ScheduleCheck {
  const guarded = function scheduleCheckPendingRequests(this: RequestQueueState): void {
    if (this.pending.length === 0 && !(this.throttledUntil > Date.now())) return;
    upstream.call(this);
  } as GuardedScheduleCheck;
  guarded[GUARDED] = upstream;
  return guarded;
}

function isGuarded(fn: unknown): fn is GuardedScheduleCheck {
  return typeof fn === 'function' && GUARDED in fn;
}

function unsupported(message: string, context: Record<string, unknown>): QmpipeError {
  return new QmpipeError(
    'KAFKAJS_GUARD_UNSUPPORTED',
    `${message}; common/src/kafkajsRequestQueueGuard.ts was written for kafkajs ${GUARDED_KAFKAJS_VERSIONS.join(', ')} ` +
      '(busy loop of kafkajs issues #1556/#1704): check the new src/network/requestQueue/index.js, then extend ' +
      'GUARDED_KAFKAJS_VERSIONS or remove the guard',
    { context },
  );
}

/**
 * Replaces `RequestQueue.prototype.scheduleCheckPendingRequests` of the given class by the
 * guarded version. Returns false if it was already guarded. Throws if `version` is not one
 * the guard was written for or the class has no such method. Exported for tests; production
 * code calls installKafkajsRequestQueueGuard.
 */
export function guardRequestQueueClass(requestQueue: unknown, version: unknown): boolean {
  if (typeof version !== 'string' || !GUARDED_KAFKAJS_VERSIONS.includes(version)) {
    throw unsupported(`kafkajs ${String(version)} is installed`, { version });
  }
  const proto = (requestQueue as { prototype?: Record<string, unknown> } | null)?.prototype;
  const current = proto?.scheduleCheckPendingRequests;
  if (!proto || typeof current !== 'function') {
    throw unsupported(`kafkajs ${version}: RequestQueue.prototype.scheduleCheckPendingRequests not found`, { version });
  }
  if (isGuarded(current)) return false;
  proto.scheduleCheckPendingRequests = guardScheduleCheck(current as ScheduleCheck);
  return true;
}

const require = createRequire(import.meta.url);

/** kafkajs's internal RequestQueue class and package version, as Node resolves `kafkajs` from here. */
function loadKafkajs(): { requestQueue: unknown; version: unknown } {
  try {
    const pkg = require('kafkajs/package.json') as { version?: unknown };
    return { requestQueue: require('kafkajs/src/network/requestQueue/index.js') as unknown, version: pkg.version };
  } catch (err) {
    throw new QmpipeError('KAFKAJS_GUARD_UNSUPPORTED', `cannot load kafkajs's RequestQueue: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Installs the guard process-wide (idempotent; returns true the first time). Call it before
 * creating kafkajs clients: installKafkajsGuards (kafkajsGuards.ts) does. Throws QmpipeError KAFKAJS_GUARD_UNSUPPORTED
 * when the installed kafkajs is not a version the guard knows (see the header).
 */
export function installKafkajsRequestQueueGuard(): boolean {
  const { requestQueue, version } = loadKafkajs();
  return guardRequestQueueClass(requestQueue, version);
}

/** Whether the kafkajs that Node resolves from here has the guard installed. */
export function kafkajsRequestQueueGuardInstalled(): boolean {
  const { requestQueue } = loadKafkajs();
  return isGuarded((requestQueue as { prototype?: Record<string, unknown> } | null)?.prototype?.scheduleCheckPendingRequests);
}
