/**
 * `qmpipe record --socket PATH --out FILE.jsonl [--seconds N] [--interval MS]`:
 * polls one VM exactly as the agent does (same poller, same commands, read-only)
 * and writes the transcript in the shared fixture format, one line per message:
 *
 *   {"t": <epoch ms>, "dir": "out" | "in" | "host", "msg": {...}}
 *
 * `host` lines carry what the agent measured on the host:
 * `{"blockdev-size": {"path", "bytes"}}` and `{"net-stats": {...}}`. For bug
 * reports and replay; nothing is sent to Kafka.
 */
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeError } from '#common/errors.js';
import { createLogger } from '#common/log.js';
import { sysfsReader } from '#agent/host/sysfs.js';
import { VmPoller } from '#agent/poller/vmPoller.js';
import { unixTarget } from '#agent/poller/vmTarget.js';
import { sampleBuilder } from '#agent/sample/sampleBuilder.js';
import { createTelemetry } from '#agent/telemetry.js';
import { defaultRetryPolicy } from '#common/retry.js';

const help = `Usage: qmpipe record --socket PATH --out FILE.jsonl [--seconds N] [--interval MS] [--net IF,...]

Records the QMP traffic of the agent's poll loop against one VM (read-only) as a
transcript in the shared fixture format. Stops after N seconds (default 10) or on
SIGINT/SIGTERM.
`;

export interface RecordOptions {
  socket: string;
  out: string;
  seconds: number;
  intervalMs: number;
  net: string[];
}

/** Records until `seconds` pass or `signal` aborts. Resolves with the number of lines written. */
export async function record(o: RecordOptions, signal?: AbortSignal): Promise<number> {
  const out = createWriteStream(o.out, { flags: 'w' });
  let lines = 0;
  const write = (dir: 'in' | 'out' | 'host', msg: unknown): void => {
    out.write(`${JSON.stringify({ t: Date.now(), dir, msg })}\n`);
    lines++;
  };
  const poller = new VmPoller(
    unixTarget(o.socket, o.net),
    {
      fastIntervalMs: o.intervalMs,
      slowIntervalMs: o.intervalMs,
      statsTargets: 'auto',
      blockstatsNodes: true,
      commandTimeoutMs: 2000,
      connectTimeoutMs: 2000,
      handshakeTimeoutMs: 2000,
      maxLineBytes: 1 << 20,
      maxLineBytesCeiling: 64 << 20,
      staleAfterMissedTicks: 3,
      reconnect: defaultRetryPolicy,
    },
    {
      builder: sampleBuilder,
      sink: { publish: () => {} },
      hostReader: sysfsReader(),
      telemetry: createTelemetry(),
      logger: createLogger({ app: 'qmpipe-record' }),
      onTraffic: write,
    },
  );
  poller.start();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, o.seconds * 1000);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await poller.stop(2000); // whole ticks only: every command written has its reply
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return lines;
}

export async function run(argv: string[]): Promise<number> {
  let v: { socket?: string; out?: string; seconds?: string; interval?: string; net?: string; help?: boolean };
  try {
    ({ values: v } = parseArgs({
      args: argv,
      options: {
        socket: { type: 'string' },
        out: { type: 'string' },
        seconds: { type: 'string' },
        interval: { type: 'string' },
        net: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`qmpipe record: ${(err as Error).message}\n${help}`);
    return 2;
  }
  if (v.help) {
    process.stdout.write(help);
    return 0;
  }
  const seconds = Number(v.seconds ?? 10);
  const intervalMs = Number(v.interval ?? 1000);
  if (!v.socket || !v.out || !(seconds > 0) || !(intervalMs > 0)) {
    process.stderr.write(`qmpipe record: --socket and --out are required; --seconds and --interval must be positive\n${help}`);
    return 2;
  }
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  process.once('SIGTERM', () => ac.abort());
  try {
    const n = await record({ socket: v.socket, out: v.out, seconds, intervalMs, net: v.net ? v.net.split(',') : [] }, ac.signal);
    process.stderr.write(`qmpipe record: ${n} lines written to ${v.out}\n`);
    return n > 0 ? 0 : 1;
  } catch (err) {
    process.stderr.write(`qmpipe record: ${describeError(err)}\n`);
    return 1;
  }
}
