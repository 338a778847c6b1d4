/**
 * `qmpipe top`: a live terminal view of VMs for a person (over SSH), or one frame for
 * a program (`--once --json`). Sources: local QMP sockets, a recorded transcript, or
 * the processor's rates and alerts topics (the whole fleet). A thin shell: sample
 * building is the agent's, rates and alerts are the processor core's, the frame is
 * model/frame.ts and the screen view/screen.ts.
 */
import { QmpipeError } from '#common/errors.js';
import { UsageError, parseCommandArgs, runCommand, writeOut } from '#common/command.js';
import { installKafkajsGuards } from '#common/kafkajsGuards.js';
import { loadProcessorConfig, type ProcessorConfig } from '#schemas/config/processor.js';
import { buildFrame, type Frame } from './model/frame.js';
import { createRecordFold, foldRecord, type RecordFold } from './model/recordFold.js';
import { hasRateInterval, type TopState } from './model/topState.js';
import { startKafkaSource, parseKafkaFlags, type KafkaSource } from './source/kafka.js';
import { playTranscript } from './source/replay.js';
import { watchLibvirt } from './source/libvirt.js';
import { resolveSockets, watchSockets, type TargetWatch } from './source/sockets.js';
import { SORT_KEYS, initialUi, type SortKey } from './view/keys.js';
import { renderList } from './view/screen.js';
import { runScreen } from './view/terminal.js';

const help = `Usage: qmpipe top --socket PATH|GLOB [--socket ...] [--interval MS]
       qmpipe top --replay FILE.jsonl [--speed X]
       qmpipe top --libvirt qemu:///system [--domain NAME ...] [--interval MS]
       qmpipe top --kafka [--brokers H:P[,..]] [--rates-topic NAME] [--alerts-topic NAME]
   options for all: [--once] [--json] [--sort KEY] [--config FILE] [--host NAME]

A live view of VMs, refreshed every second: one row per VM (host, name, state,
vCPU exits/s and halt-poll success, disk read/write B/s, IOPS and latency per op,
net rx/tx, the fullest backing-chain element with its fill, growth and time to full,
firing alerts). Enter drills into one VM: every vCPU, disk and chain element,
histogram quantiles, recent QMP events, alert history, and every stat of its latest
query-stats replies as 'qmpipe stats' prints them (--kafka: not there, the rates
topic carries the core's series only).

Sources:
  --socket PATH|GLOB   local QMP sockets (read-only, like the agent); a glob such as
                       '/run/qmp/*.sock' (quoted) watches every matching socket
  --libvirt URI        every running domain of the local libvirt daemon (or --domain NAME,
                       repeatable), QEMU's monitor through libvirt, read-only (the agent's
                       qmp mode; libvirt marks the domain tainted custom-monitor)
  --replay FILE        a recorded transcript, at its own pace (--speed X: X times faster)
  --kafka              the processor's rates and alerts topics: every host's VMs
                       (env QMPIPE_KAFKA_BROKERS or --brokers; SASL and TLS, mutual
                       TLS too, from QMPIPE_KAFKA_SASL_* and QMPIPE_KAFKA_TLS*)

Output:
  --once               print one frame and exit (--replay: the transcript's last moment;
                       --socket/--libvirt: once every VM has a rate interval; --kafka: once caught up)
  --json               the frame as one JSON object ({"t","vms":[…]}); without --once one per line
  --sort KEY           ${SORT_KEYS.join(', ')} (default fill)

Other:
  --config FILE        processor config for the core (thresholds), as qmpipe replay --config
  --host NAME          host label of --socket/--libvirt/--replay records (default: this host / 'replay')
  --interval MS        poll interval of --socket and --libvirt (default 1000)
  --libvirt-socket P   the daemon's socket (default /run/libvirt/libvirt-sock)
  --timeout S          --once: give up waiting after S seconds (default 20)

Keys: ↑↓ select, Enter drill in, Esc back, s sort, r reverse, / filter, q quit.
`;

const OPTIONS = {
  socket: { type: 'string', multiple: true },
  libvirt: { type: 'string' },
  domain: { type: 'string', multiple: true },
  'libvirt-socket': { type: 'string' },
  replay: { type: 'string' },
  kafka: { type: 'boolean' },
  brokers: { type: 'string' },
  'rates-topic': { type: 'string' },
  'alerts-topic': { type: 'string' },
  speed: { type: 'string' },
  once: { type: 'boolean' },
  json: { type: 'boolean' },
  sort: { type: 'string' },
  config: { type: 'string' },
  host: { type: 'string' },
  interval: { type: 'string' },
  timeout: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

function positive(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!(n > 0)) throw new UsageError(`--${name}: not a positive number: ${v}`);
  return n;
}

/** A running source: the state it folds into, how to stop it, and when it is ready for --once. */
interface Running {
  /** What the screen names as the source (a getter where it changes, e.g. records skipped). */
  readonly label: string;
  state: () => TopState;
  /** Resolves when a --once frame can be printed (or rejects). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

function startReplay(file: string, v: Values, fold: RecordFold, once: boolean): Running {
  const ac = new AbortController();
  const speed = once ? Number.POSITIVE_INFINITY : positive(v.speed, 'speed', 1);
  let done = false;
  const ready = playTranscript(file, (r) => foldRecord(fold, r), { speed, host: v.host, signal: ac.signal }).then(() => {
    done = true;
  });
  return {
    get label() {
      return `replay ${file}${done ? ' (end)' : speed === 1 ? '' : ` ×${speed}`}`;
    },
    state: () => fold.top,
    ready,
    stop: async () => {
      ac.abort();
      await ready.catch(() => {});
    },
  };
}

/** Ready for --once when every polled VM has a sample and a rate interval, or after the timeout with what there is. */
function whenPolled(watch: TargetWatch, fold: RecordFold, what: string, timeoutMs: number): Promise<void> {
  const ready = new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const vms = Object.values(fold.top.vms);
      const complete = watch.targets > 0 && vms.length >= watch.targets && vms.every((x) => x.sampleT !== null && hasRateInterval(x));
      if (!complete && Date.now() - started < timeoutMs) return;
      clearInterval(timer);
      if (vms.length === 0) reject(new QmpipeError('TOP_NO_SAMPLE', `no sample from ${what} within ${timeoutMs / 1000} s`));
      else resolve();
    }, 100);
  });
  ready.catch(() => {});
  return ready;
}

function startSockets(args: string[], v: Values, fold: RecordFold, timeoutMs: number): Running {
  const sockets = resolveSockets(args);
  if (sockets.length === 0) throw new QmpipeError('TOP_NO_SOCKET', `no socket matches ${args.join(', ')}`);
  const watch = watchSockets(sockets, (r) => foldRecord(fold, r), { intervalMs: positive(v.interval, 'interval', 1000), host: v.host });
  const label = `${sockets.length === 1 ? sockets[0] : `${sockets.length} sockets`}`;
  return { label, state: () => fold.top, ready: whenPolled(watch, fold, sockets.join(', '), timeoutMs), stop: () => watch.stop() };
}

function startLibvirt(uri: string, v: Values, fold: RecordFold, timeoutMs: number): Running {
  const domains = v.domain ?? [];
  const watch = watchLibvirt((r) => foldRecord(fold, r), {
    uri,
    domains,
    socket: v['libvirt-socket'],
    intervalMs: positive(v.interval, 'interval', 1000),
    host: v.host,
  });
  const what = `libvirt ${uri}${domains.length ? ` (${domains.join(', ')})` : ''}`;
  return {
    get label() {
      return `${what} · ${watch.targets} domain${watch.targets === 1 ? '' : 's'}`;
    },
    state: () => fold.top,
    ready: whenPolled(watch, fold, what, timeoutMs),
    stop: () => watch.stop(),
  };
}

function startKafka(k: KafkaSource): Running {
  return {
    get label() {
      return k.label;
    },
    state: () => k.state,
    ready: k.caughtUp,
    stop: () => k.stop(),
  };
}

function frameOf(r: Running, config: ProcessorConfig): Frame {
  return buildFrame(r.state(), { minGrowth: config.alerts.timeToFull.minGrowthBytesPerSecond });
}

function textFrame(frame: Frame, r: Running, sort: SortKey): string {
  const width = process.stdout.columns ?? 200;
  const lines = renderList(frame, { ...initialUi(sort) }, { width, height: frame.vms.length + 4, source: r.label });
  return `${lines.slice(0, -1).join('\n').trimEnd()}\n`;
}

async function start(v: Values, config: ProcessorConfig, once: boolean, timeoutMs: number): Promise<Running> {
  const given = [v.socket !== undefined, v.libvirt !== undefined, v.replay !== undefined, v.kafka === true].filter(Boolean).length;
  if (given !== 1) throw new UsageError('give exactly one source: --socket PATH|GLOB, --libvirt URI, --replay FILE or --kafka');
  if (v.domain !== undefined && v.libvirt === undefined) throw new UsageError('--domain goes with --libvirt');
  if (v.replay !== undefined) return startReplay(v.replay, v, createRecordFold(config), once);
  if (v.socket !== undefined) return startSockets(v.socket, v, createRecordFold(config), timeoutMs);
  if (v.libvirt !== undefined) return startLibvirt(v.libvirt, v, createRecordFold(config), timeoutMs);
  const flags = parseKafkaFlags(v, process.env);
  installKafkajsGuards();
  return startKafka(await startKafkaSource(flags, once ? { follow: false, timeoutMs } : { follow: true }));
}

async function live(r: Running, v: Values, config: ProcessorConfig, sort: SortKey): Promise<void> {
  if (v.json === true || !process.stdout.isTTY || !process.stdin.isTTY) {
    // Not a terminal (or JSON asked for): a frame every second until interrupted, like top -b.
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    process.once('SIGTERM', () => ac.abort());
    while (!ac.signal.aborted) {
      const f = frameOf(r, config);
      writeOut(v.json === true ? `${JSON.stringify(f)}\n` : `${textFrame(f, r, sort)}\n`);
      await new Promise((res) => setTimeout(res, 1_000));
    }
    return;
  }
  await runScreen({ input: process.stdin, out: process.stdout, source: () => r.label, frame: () => frameOf(r, config), refreshMs: 1_000, sort });
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help);
    return 0;
  }
  return runCommand('top', help, async () => {
    const { values: v, positionals } = parseCommandArgs(argv, OPTIONS);
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
    const sort = (v.sort ?? 'fill') as SortKey;
    if (!SORT_KEYS.includes(sort)) throw new UsageError(`--sort: one of ${SORT_KEYS.join(', ')}`);
    const config = loadProcessorConfig(v.config);
    const once = v.once === true;
    const r = await start(v, config, once, positive(v.timeout, 'timeout', 20) * 1000);
    try {
      if (once) {
        await r.ready;
        const f = frameOf(r, config);
        writeOut(v.json === true ? `${JSON.stringify(f)}\n` : textFrame(f, r, sort));
      } else await live(r, v, config, sort);
    } finally {
      await r.stop();
    }
    return 0;
  });
}
