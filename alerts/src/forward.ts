/**
 * `qmpipe alerts forward`: the alerts topic → Alertmanager (API v2). The shell around
 * firingSet.ts: it reads the topic from the beginning (rebuilding the firing set), and
 * once caught up posts the firing alerts and recent resolutions, then every new
 * transition as it arrives, and re-sends the firing set every resend interval so
 * Alertmanager keeps them firing (each post is valid for 4× the interval).
 *
 * It never exits on its own: Alertmanager down → the failed batch goes back to the
 * outbox (latest transition per alert wins), one error line per failed attempt, retried
 * every retryAfterMs; Kafka unavailable or the consumer crashed → an error line, then the
 * topic is read again from the beginning after a backoff. stop() posts what is queued
 * (one attempt) and resolves. No log line per alert except at debug.
 *
 * Contract: onAlerts/onCaughtUp come from the source one at a time; flushes are
 * serialized (at most one POST sequence in flight).
 */
import { QmpipeError, describeError } from '#common/errors.js';
import type { Logger } from '#common/log.js';
import { backoffDelay, retry, type RetryPolicy } from '#common/retry.js';
import type { AlertRecord } from '#schemas/codecs/outputs.js';
import { toAlertmanager } from './alertmanager.js';
import { AlertmanagerError, alertmanagerClient, type FetchFn } from './alertmanagerClient.js';
import { kafkaConnection, validForMs, type ForwardOptions } from './config.js';
import { applyTransition, drainOutbox, initialForwardState, queueResend, requeue } from './firingSet.js';
import { startAlertSource, type AlertSource } from './alertSource.js';

export interface ForwarderDeps {
  log: Logger;
  now?: () => number;
  /** Retries of one POST before the batch goes back to the outbox. */
  postRetry?: RetryPolicy;
  fetch?: FetchFn;
  /** The topic reader (the I/O seam; tests pass a fake). */
  startSource?: typeof startAlertSource;
}

export interface ForwarderStats {
  firing: number;
  queued: number;
  decoded: number;
  undecodable: number;
  postedFiring: number;
  postedResolved: number;
  rejected: number;
  failedPosts: number;
  restarts: number;
}

export interface Forwarder {
  /** Resolves once the topic has been read to its start-time end and the first post was tried. */
  readonly caughtUp: Promise<void>;
  stats(): ForwarderStats;
  /** Stops consuming, posts what is queued (one attempt), resolves. Idempotent. */
  stop(): Promise<void>;
}

const defaultPostRetry: RetryPolicy = { initialRetryTime: 300, multiplier: 2, factor: 0.2, maxRetryTime: 5_000, retries: 3 };
const restartPolicy: RetryPolicy = { initialRetryTime: 1_000, multiplier: 2, factor: 0.2, maxRetryTime: 30_000, retries: 0 };

export function startForwarder(o: ForwardOptions, deps: ForwarderDeps): Forwarder {
  const log = deps.log;
  const now = deps.now ?? Date.now;
  const client = alertmanagerClient(o.alertmanager, { timeoutMs: o.requestTimeoutMs, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  const mapping = { validForMs: validForMs(o), generatorUrl: o.generatorUrl };
  const state = initialForwardState();
  const counts = { postedFiring: 0, postedResolved: 0, rejected: 0, failedPosts: 0, restarts: 0 };
  let source: AlertSource | undefined;
  let live = false;
  let firstDrain = true;
  let stopped = false;
  let flushing: Promise<void> | undefined;
  let again = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let down: { since: number; failures: number } | undefined;
  let readSinceStart = 0;
  const wakers = new Set<() => void>();
  let markCaughtUp: () => void = () => {};
  const caughtUp = new Promise<void>((r) => {
    markCaughtUp = r;
  });
  let markStopped: () => void = () => {};
  const stopping = new Promise<void>((r) => {
    markStopped = r;
  });

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        wakers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      wakers.add(wake);
    });

  async function postChunk(chunk: AlertRecord[], attempts: 'retry' | 'once'): Promise<boolean> {
    const body = chunk.map((a) => toAlertmanager(a, { now: now(), ...mapping }));
    const firing = chunk.filter((a) => a.state === 'firing').length;
    try {
      await retry(() => client.post(body), {
        policy: attempts === 'retry' ? (deps.postRetry ?? defaultPostRetry) : { ...defaultPostRetry, retries: 0 },
        sleep,
        shouldRetry: (err) => !stopped && err instanceof QmpipeError && err.retriable,
        onRetry: (err, attempt, delayMs) => log.debug('retrying alertmanager post', { attempt, delayMs, error: describeError(err) }),
      });
    } catch (err) {
      if (err instanceof AlertmanagerError && err.code === 'ALERTMANAGER_REJECTED') {
        counts.rejected += chunk.length;
        log.error('alertmanager rejected alerts; dropping them', { url: client.url, alerts: chunk.length, error: describeError(err) });
        return true;
      }
      counts.failedPosts++;
      down ??= { since: now(), failures: 0 };
      down.failures++;
      log.error('alertmanager unavailable; alerts kept for the next attempt', {
        url: client.url,
        error: describeError(err),
        queued: state.outbox.size + chunk.length,
        firing: state.firing.size,
        downSince: new Date(down.since).toISOString(),
        failures: down.failures,
        retryInMs: o.retryAfterMs,
      });
      return false;
    }
    counts.postedFiring += firing;
    counts.postedResolved += chunk.length - firing;
    if (down) {
      log.info('alertmanager reachable again', { url: client.url, downForMs: now() - down.since, failures: down.failures });
      down = undefined;
    }
    log.debug('posted alerts', { firing, resolved: chunk.length - firing });
    return true;
  }

  async function flush(attempts: 'retry' | 'once'): Promise<void> {
    const since = firstDrain ? now() - o.resolvedHorizonMs : -Infinity;
    firstDrain = false;
    const batch = drainOutbox(state, since);
    for (let i = 0; i < batch.length; i += o.batchSize) {
      if (!(await postChunk(batch.slice(i, i + o.batchSize), attempts))) {
        requeue(state, batch.slice(i));
        if (!stopped)
          retryTimer ??= setTimeout(() => {
            retryTimer = undefined;
            kick();
          }, o.retryAfterMs);
        return;
      }
    }
  }

  function kick(): void {
    if (!live || stopped || retryTimer) return; // a failed post's retry timer kicks again
    if (flushing) {
      again = true;
      return;
    }
    flushing = flush('retry').finally(() => {
      flushing = undefined;
      if (again) {
        again = false;
        kick();
      }
    });
  }

  const handlers = {
    onAlerts(alerts: AlertRecord[]): void {
      for (const a of alerts) applyTransition(state, a);
      readSinceStart += alerts.length;
      kick();
    },
    onCaughtUp(): void {
      live = true;
      log.info('caught up on the alerts topic', { topic: o.topic, transitions: readSinceStart, firing: state.firing.size, queued: state.outbox.size });
      kick();
      void (flushing ?? Promise.resolve()).then(markCaughtUp);
    },
  };

  async function consumeForever(): Promise<void> {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        source = await (deps.startSource ?? startAlertSource)(
          { kafka: kafkaConnection(o.kafka, 'qmpipe-alerts-forward'), topic: o.topic, from: 'beginning', mode: 'follow', log },
          handlers,
        );
        if (stopped) {
          await source.stop();
          break;
        }
        await Promise.race([source.crashed, stopping]);
      } catch (err) {
        if (stopped) break;
        const delay = backoffDelay(restartPolicy, Math.min(attempt, 5));
        const error = err instanceof QmpipeError ? err.message : describeError(err); // kafkajs nests its message in each retry
        log.error('alerts topic unavailable; reading it again from the beginning later', { topic: o.topic, error, retryInMs: delay });
        await source?.stop();
        source = undefined;
        counts.restarts++;
        live = false;
        firstDrain = true;
        readSinceStart = 0;
        state.firing.clear(); // rebuilt by the next read; queued transitions stay queued
        await sleep(delay);
      }
    }
  }

  const resendTimer = setInterval(() => {
    if (!live || stopped) return;
    queueResend(state);
    kick();
  }, o.resendIntervalMs);
  const consuming = consumeForever();
  const stats = (): ForwarderStats => ({
    ...counts,
    firing: state.firing.size,
    queued: state.outbox.size,
    decoded: source?.stats.decoded ?? 0,
    undecodable: source?.stats.undecodable ?? 0,
  });

  return {
    caughtUp,
    stats,
    async stop() {
      if (stopped) return;
      stopped = true;
      markStopped();
      clearInterval(resendTimer);
      if (retryTimer) clearTimeout(retryTimer);
      for (const wake of [...wakers]) wake();
      // A Kafka connect in progress is not waited for beyond a few seconds (consumeForever
      // stops the source if it starts after all).
      await Promise.race([consuming, new Promise((r) => setTimeout(r, 3_000).unref())]);
      await source?.stop();
      await flushing;
      if (live && state.outbox.size > 0) await flush('once');
      log.info('alerts forwarder stopped', { ...stats() });
    },
  };
}
