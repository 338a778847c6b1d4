/**
 * `qmpipe record --socket PATH | --libvirt URI --domain NAME --out FILE.jsonl [--seconds N] [--interval MS]`:
 * polls one VM exactly as the agent does (same poller, same commands, read-only; through
 * libvirt's monitor with --libvirt) and writes the transcript format of
 * test/fixtures/README.md, one line per message:
 *
 *   {"t": <epoch ms>, "dir": "out" | "in" | "host", "msg": {...}}
 *
 * `host` lines carry what the agent measured on the host:
 * `{"blockdev-size": {"path", "bytes"}}`, `{"net-stats": {...}}`, and through libvirt
 * `{"device-names": {...}}` (disk names from the domain XML). For bug reports and
 * replay; nothing is sent to Kafka.
 */
import { createWriteStream } from 'node:fs';
import { UsageError, parseCommandArgs, runCommand } from '#common/command.js';
import { createLogger } from '#common/log.js';
import { sysfsReader } from '#agent/host/sysfs.js';
import { VmPoller } from '#agent/poller/vmPoller.js';
import { unixTarget, type VmTarget } from '#agent/poller/vmTarget.js';
import { libvirtTarget } from '../libvirtTarget.js';
import { sampleBuilder } from '#agent/sample/sampleBuilder.js';
import { createTelemetry } from '#agent/telemetry.js';
import { defaultRetryPolicy } from '#common/retry.js';

const help = `Usage: qmpipe record --socket PATH --out FILE.jsonl [--seconds N] [--interval MS] [--net IF,...]
       qmpipe record --libvirt qemu:///system --domain NAME --out FILE.jsonl [--seconds N] [--interval MS]

Records the QMP traffic of the agent's poll loop against one VM (read-only) as a
transcript (format: test/fixtures/README.md) that \`qmpipe replay\` reads. With --libvirt,
QEMU's monitor is reached through libvirt and the disk and interface names come from
the domain XML. With --socket, the taps are those the QEMU process holds (found on this
host, as the agent does), unless --net lists them. Stops after N seconds (default 10) or
on SIGINT/SIGTERM.
`;

export interface RecordOptions {
  target: VmTarget;
  out: string;
  seconds: number;
  intervalMs: number;
}

/** Records until `seconds` pass or `signal` aborts. Resolves with the number of lines written. */
export async function record(o: RecordOptions, signal?: AbortSignal): Promise<number> {
  const out = createWriteStream(o.out, { flags: 'w' });
  let lines = 0;
  const write = (dir: 'in' | 'out' | 'host', msg: unknown): void => {
    out.write(`${JSON.stringify({ t: Date.now(), dir, msg })}\n`);
    lines++;
  };
  if (o.target.deviceNames) write('host', { 'device-names': o.target.deviceNames });
  const poller = new VmPoller(
    o.target,
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
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help);
    return 0;
  }
  return runCommand('record', help, async () => {
    const { values: v, positionals } = parseCommandArgs(argv, {
      socket: { type: 'string' },
      libvirt: { type: 'string' },
      domain: { type: 'string' },
      out: { type: 'string' },
      seconds: { type: 'string' },
      interval: { type: 'string' },
      net: { type: 'string' },
    });
    const seconds = Number(v.seconds ?? 10);
    const intervalMs = Number(v.interval ?? 1000);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if ((v.socket === undefined) === (v.libvirt === undefined)) throw new UsageError('give exactly one of --socket PATH or --libvirt URI --domain NAME');
    if (!v.out || !(seconds > 0) || !(intervalMs > 0)) throw new UsageError('--out is required; --seconds and --interval must be positive');
    const lv = v.libvirt !== undefined ? await libvirtTarget(v.libvirt, v.domain) : undefined;
    const target = lv?.target ?? unixTarget(v.socket!, v.net ? v.net.split(',') : []);
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    process.once('SIGTERM', () => ac.abort());
    try {
      const n = await record({ target, out: v.out, seconds, intervalMs }, ac.signal);
      process.stderr.write(`qmpipe record: ${n} lines written to ${v.out}\n`);
      return n > 0 ? 0 : 1;
    } finally {
      await lv?.close();
    }
  });
}
