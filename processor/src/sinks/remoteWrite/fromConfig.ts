/** The remote-write sink a config asks for (null for `url: off`). No network here: the sink connects per request. */
import type { Logger } from '#common/log.js';
import type { Registry } from '#common/metrics.js';
import type { RemoteWriteConfig } from '#schemas/config/remoteWrite.js';
import type { SinkFactory } from '../sink.js';
import { createRemoteWriteClient } from './client.js';
import { RemoteWriteSink } from './sink.js';

export function remoteWriteSinkFrom(cfg: RemoteWriteConfig, deps: { registry?: Registry; log?: Logger }): RemoteWriteSink | null {
  if (cfg.url === 'off') return null;
  const client = createRemoteWriteClient({ url: cfg.url, basicAuth: cfg.basicAuth, bearerToken: cfg.bearerToken, tls: cfg.tls, timeoutMs: cfg.timeoutMs });
  return new RemoteWriteSink(
    client,
    {
      batchSize: cfg.batchSize,
      maxQueueSamples: cfg.maxQueueSamples,
      retry: { ...cfg.retry, multiplier: 2, factor: 0.2, retries: Number.MAX_SAFE_INTEGER },
      labels: cfg.labels,
    },
    deps,
  );
}

/** Sink (after the commit): each batch's series queued for the receiver, never awaited on the network (sink.ts). */
export const remoteWriteSink: SinkFactory = (cfg, ctx) => {
  const rw = remoteWriteSinkFrom(cfg.remoteWrite, { registry: ctx.registry, log: ctx.log.child({ component: 'remote-write' }) });
  if (!rw) return null;
  const timeoutMs = cfg.remoteWrite.stopTimeoutMs;
  return {
    name: 'remoteWrite',
    phase: 'afterCommit',
    reads: { rates: true, points: true },
    async deliver({ outputs, state }) {
      rw.offer(outputs, state.core);
    },
    async flush() {
      await rw.flush(timeoutMs);
    },
    stop: () => rw.stop(timeoutMs),
  };
};
