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
 * serialized (at most one POST sequence in flight). Every wait (post retries, the restart
 * backoff) is common/src/sleep.ts on the forwarder's stop signal, so stop() ends them all.
 */
import { QmpipeError, describeError } from '#common/errors.js';
import type { Logger } from '#common/log.js';
import { backoffDelay, retry, type RetryPolicy } from '#common/retry.js';
import { sleep } from '#common/sleep.js';
import type { AlertRecord } from '#schemas/codecs/outputs.js';
import { toAlertmanager } from './alertmanager.js';
import { AlertmanagerError, alertmanagerClient, type AlertmanagerClient, type FetchFn } from './alertmanagerClient.js';
import { validForMs, type ForwardOptions } from './config.js';
import { applyTransition, drainOutbox, initialForwardState, queueResend, requeue, type ForwardState } from './firingSet.js';
import { startAlertSource, type AlertHandlers, type AlertSource } from './alertSource.js';

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

type Attempts = 'retry' | 'once';

const defaultPostRetry: RetryPolicy = { initialRetryTime: 300, multiplier: 2, factor: 0.2, maxRetryTime: 5_000, retries: 3 };
const restartPolicy: RetryPolicy = { initialRetryTime: 1_000, multiplier: 2, factor: 0.2, maxRetryTime: 30_000, retries: 0 };
/** stop() waits this long at most for a Kafka connect in progress (the loop stops a source that starts later). */
const STOP_CONNECT_WAIT_MS = 3_000;

export class Forwarder {
  /** Resolves once the topic has been read to its start-time end and the first post was tried. */
  readonly caughtUp: Promise<void>;
  private markCaughtUp: () => void = () => {};
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly client: AlertmanagerClient;
  private readonly state: ForwardState = initialForwardState();
  private readonly counts = { postedFiring: 0, postedResolved: 0, rejected: 0, failedPosts: 0, restarts: 0 };
  private readonly stopping = new AbortController();
  private readonly stopped$ = new Promise<void>((r) => this.stopping.signal.addEventListener('abort', () => r(), { once: true }));
  private readonly handlers: AlertHandlers = { onAlerts: (a) => this.onAlerts(a), onCaughtUp: () => this.onCaughtUp() };
  private source: AlertSource | undefined;
  /** Caught up since the last (re)start: posts are allowed. */
  private live = false;
  /** The next drain is the first since a (re)start: old resolutions are left out. */
  private firstDrain = true;
  private readSinceStart = 0;
  private flushing: Promise<void> | undefined;
  private flushAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private resendTimer: NodeJS.Timeout | undefined;
  private down: { since: number; failures: number } | undefined;
  private consuming: Promise<void> = Promise.resolve();

  constructor(
    private readonly o: ForwardOptions,
    private readonly deps: ForwarderDeps,
  ) {
    this.log = deps.log;
    this.now = deps.now ?? Date.now;
    this.client = alertmanagerClient(o.alertmanager, { timeoutMs: o.requestTimeoutMs, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
    this.caughtUp = new Promise<void>((r) => {
      this.markCaughtUp = r;
    });
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Starts reading the topic and the resend timer. */
  start(): this {
    this.resendTimer = setInterval(() => this.resend(), this.o.resendIntervalMs);
    this.consuming = this.consume();
    return this;
  }

  private onAlerts(alerts: AlertRecord[]): void {
    for (const a of alerts) applyTransition(this.state, a);
    this.readSinceStart += alerts.length;
    this.kick();
  }

  private onCaughtUp(): void {
    this.live = true;
    const { firing, outbox } = this.state;
    this.log.info('caught up on the alerts topic', { topic: this.o.topic, transitions: this.readSinceStart, firing: firing.size, queued: outbox.size });
    this.kick();
    void (this.flushing ?? Promise.resolve()).then(this.markCaughtUp);
  }

  stats(): ForwarderStats {
    return {
      ...this.counts,
      firing: this.state.firing.size,
      queued: this.state.outbox.size,
      decoded: this.source?.stats.decoded ?? 0,
      undecodable: this.source?.stats.undecodable ?? 0,
    };
  }

  /** Stops consuming, posts what is queued (one attempt), resolves. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopping.abort();
    clearInterval(this.resendTimer);
    clearTimeout(this.retryTimer);
    const connectWait = new AbortController();
    await Promise.race([this.consuming, sleep(STOP_CONNECT_WAIT_MS, connectWait.signal)]);
    connectWait.abort();
    await this.source?.stop();
    await this.flushing;
    if (this.live && this.state.outbox.size > 0) await this.flush('once');
    this.log.info('alerts forwarder stopped', { ...this.stats() });
  }

  /** Reads the topic until stopped; a failure restarts the read from the beginning after a backoff. */
  private async consume(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        this.source = await (this.deps.startSource ?? startAlertSource)(
          { kafka: this.o.kafka, topic: this.o.topic, from: 'beginning', mode: 'follow', log: this.log },
          this.handlers,
        );
        if (this.stopped) {
          await this.source.stop();
          return;
        }
        await Promise.race([this.source.crashed, this.stopped$]);
      } catch (err) {
        if (this.stopped) return;
        await this.restartAfter(err, backoffDelay(restartPolicy, Math.min(attempt, 5)));
      }
    }
  }

  /** Forgets what was read (the firing set is rebuilt by the next read; queued transitions stay queued). */
  private async restartAfter(err: unknown, delayMs: number): Promise<void> {
    const error = err instanceof QmpipeError ? err.message : describeError(err); // kafkajs nests its message in each retry
    this.log.error('alerts topic unavailable; reading it again from the beginning later', { topic: this.o.topic, error, retryInMs: delayMs });
    await this.source?.stop();
    this.source = undefined;
    this.counts.restarts++;
    this.live = false;
    this.firstDrain = true;
    this.readSinceStart = 0;
    this.state.firing.clear();
    await sleep(delayMs, this.stopping.signal);
  }

  private resend(): void {
    if (!this.live || this.stopped) return;
    queueResend(this.state);
    this.kick();
  }

  /** Starts a flush, or asks the running one to go again when it ends. */
  private kick(): void {
    if (!this.live || this.stopped || this.retryTimer) return; // a failed post's retry timer kicks again
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = this.flush('retry').finally(() => {
      this.flushing = undefined;
      if (this.flushAgain) {
        this.flushAgain = false;
        this.kick();
      }
    });
  }

  private async flush(attempts: Attempts): Promise<void> {
    const since = this.firstDrain ? this.now() - this.o.resolvedHorizonMs : Number.NEGATIVE_INFINITY;
    this.firstDrain = false;
    const batch = drainOutbox(this.state, since);
    for (let i = 0; i < batch.length; i += this.o.batchSize) {
      if (await this.post(batch.slice(i, i + this.o.batchSize), attempts)) continue;
      requeue(this.state, batch.slice(i));
      if (!this.stopped) {
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, this.o.retryAfterMs);
      }
      return;
    }
  }

  /** Posts one chunk; false if it must be tried again later (Alertmanager unavailable). */
  private async post(chunk: AlertRecord[], attempts: Attempts): Promise<boolean> {
    const mapping = { now: this.now(), validForMs: validForMs(this.o), generatorUrl: this.o.generatorUrl };
    const body = chunk.map((a) => toAlertmanager(a, mapping));
    try {
      await retry(() => this.client.post(body), {
        policy: attempts === 'retry' ? (this.deps.postRetry ?? defaultPostRetry) : { ...defaultPostRetry, retries: 0 },
        sleep: (ms) => sleep(ms, this.stopping.signal),
        shouldRetry: (err) => !this.stopped && err instanceof QmpipeError && err.retriable,
        onRetry: (err, attempt, delayMs) => this.log.debug('retrying alertmanager post', { attempt, delayMs, error: describeError(err) }),
      });
    } catch (err) {
      if (err instanceof AlertmanagerError && err.code === 'ALERTMANAGER_REJECTED') {
        this.counts.rejected += chunk.length;
        this.log.error('alertmanager rejected alerts; dropping them', { url: this.client.url, alerts: chunk.length, error: describeError(err) });
        return true;
      }
      this.postFailed(err, chunk.length);
      return false;
    }
    this.posted(chunk);
    return true;
  }

  private postFailed(err: unknown, chunkSize: number): void {
    this.counts.failedPosts++;
    this.down ??= { since: this.now(), failures: 0 };
    this.down.failures++;
    this.log.error('alertmanager unavailable; alerts kept for the next attempt', {
      url: this.client.url,
      error: describeError(err),
      queued: this.state.outbox.size + chunkSize,
      firing: this.state.firing.size,
      downSince: new Date(this.down.since).toISOString(),
      failures: this.down.failures,
      retryInMs: this.o.retryAfterMs,
    });
  }

  private posted(chunk: AlertRecord[]): void {
    const firing = chunk.filter((a) => a.state === 'firing').length;
    this.counts.postedFiring += firing;
    this.counts.postedResolved += chunk.length - firing;
    if (this.down) {
      this.log.info('alertmanager reachable again', { url: this.client.url, downForMs: this.now() - this.down.since, failures: this.down.failures });
      this.down = undefined;
    }
    this.log.debug('posted alerts', { firing, resolved: chunk.length - firing });
  }
}

/** A started forwarder (see the module header). */
export function startForwarder(o: ForwardOptions, deps: ForwarderDeps): Forwarder {
  return new Forwarder(o, deps).start();
}
