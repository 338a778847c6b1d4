/** Poller options for tests on fake or real QMP servers: short intervals and time-outs, `over` on top. */
import type { PollerOptions } from '#agent/poller/options.js';

export function testPollerOptions(over: Partial<PollerOptions> = {}): PollerOptions {
  return {
    host: 'test-host',
    fastIntervalMs: 50,
    slowIntervalMs: 200,
    statsTargets: 'auto',
    blockstatsNodes: true,
    commandTimeoutMs: 150,
    connectTimeoutMs: 500,
    handshakeTimeoutMs: 150,
    maxLineBytes: 1 << 20,
    staleAfterMissedTicks: 2,
    reconnect: { initialRetryTime: 30, multiplier: 2, factor: 0.2, maxRetryTime: 200, retries: 5 },
    ...over,
  };
}
