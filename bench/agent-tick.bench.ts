/**
 * The agent's TICK, a component: CPU per VM-poll and RSS of in-process VmPollers against
 * real QEMU processes (`npm run bench -- agent-tick`; was agent-poll). Records are encoded and
 * discarded, at 10 ticks/s: no Kafka producer, gzip, /metrics or process overhead is in it,
 * so it is NOT what the agent costs a host. That is `npm run bench -- fleet-cost` (the whole
 * `qmpipe agent` process, beside the libvirt exporter).
 *
 * N QEMU processes (default 20; paused with -S so guests burn no CPU, KVM when
 * /dev/kvm works so query-stats returns real kvm stats, 2 vCPUs, one virtio-blk
 * qcow2) each get one QMP socket. Phases alternate on the same sockets (a QMP socket
 * takes one client at a time):
 *
 *   baseline  a minimal loop: same commands, same cadence, pipelined on raw sockets,
 *             replies only JSON.parse-d
 *   agent     VmPoller × N: QmpClient framing/routing, Tick, sampleBuilder, Avro
 *             encodeRaw (records discarded: no Kafka in the measurement)
 *   shell     the same with a constant minimal Sample: the cost without sample building
 *
 * Then RSS with QMPIPE_BENCH_RSS_VMS (default 100) pollers. Prints JSON lines. Runs
 * with the agent's production V8 flag (see the end of this file).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sysfsReader } from '#agent/host/sysfs.js';
import { planTick } from '#agent/poller/tickPlan.js';
import { VmPoller, type PollerOptions } from '#agent/poller/vmPoller.js';
import { unixTarget } from '#agent/poller/vmTarget.js';
import type { SampleBuilder } from '#agent/sample/seam.js';
import { sampleBuilder } from '#agent/sample/sampleBuilder.js';
import { createTelemetry } from '#agent/telemetry.js';
import { encodeRaw } from '#schemas/codecs/raw.js';
import { accel, cleanup, qemuVersion, startQemu } from './agentTick/qemus.js';
import { RawQmp, syscalls } from './agentTick/rawQmp.js';
import { emit, median } from './util.js';

const CPU_VMS = Number(process.env.QMPIPE_BENCH_VMS ?? 20);
const RSS_VMS = Number(process.env.QMPIPE_BENCH_RSS_VMS ?? 100);
const INTERVAL_MS = 100; // 10 ticks/s per VM, so a phase gathers enough polls
const SLOW_EVERY = 10; // slow group every 10th tick, as 1 s / 10 s in production
const PHASE_MS = 4000;
const ROUNDS = 5;
/**
 * Every phase first runs once this long, unmeasured: `--trace-opt` shows V8 still
 * optimizing the agent's sample building and Avro writers for the first time 10–15 s
 * into a run (a tiny baseline loop is hot within a second). The agent runs for days, so
 * the comparison is between the two in steady state; the baseline gets the same warm-up.
 */
const WARMUP_MS = 12_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- baseline: raw sockets, same commands, JSON.parse only ----

/** Every client ticks every INTERVAL_MS for `ms`, all at the same moments (like the agent's grid). */
async function tickAll(clients: RawQmp[], version: { major: number; minor: number; micro: number }, ms: number, onPoll: () => void): Promise<void> {
  const end = Date.now() + ms;
  await Promise.all(
    clients.map(async (c) => {
      let next = Date.now();
      for (let tick = 0; Date.now() < end; tick++) {
        await c.send(planTick({ version, statsTargets: ['vm', 'vcpu'], blockstatsNodes: true, slow: tick % SLOW_EVERY === 0 }));
        onPoll();
        next += INTERVAL_MS;
        await sleep(next - Date.now());
      }
    }),
  );
}

async function baselinePhase(
  socks: string[],
  version: { major: number; minor: number; micro: number },
  ms = PHASE_MS,
): Promise<{ cpuMs: number; userMs: number; polls: number; sysR: number; sysW: number }> {
  const clients = await Promise.all(socks.map((s) => RawQmp.open(s)));
  let polls = 0;
  await tickAll(clients, version, 1000, () => {}); // warm-up, not measured
  const s0 = syscalls();
  const c0 = process.cpuUsage();
  await tickAll(clients, version, ms, () => polls++);
  const d = process.cpuUsage(c0);
  const s1 = syscalls();
  await Promise.all(clients.map((c) => c.close()));
  return { cpuMs: (d.user + d.system) / 1000, userMs: d.user / 1000, polls, sysR: (s1.r - s0.r) / polls, sysW: (s1.w - s0.w) / polls };
}

// ---- agent: the real pollers ----

const pollerOpts: PollerOptions = {
  host: 'bench',
  fastIntervalMs: INTERVAL_MS,
  slowIntervalMs: INTERVAL_MS * SLOW_EVERY,
  statsTargets: 'auto',
  blockstatsNodes: true,
  commandTimeoutMs: 5000,
  connectTimeoutMs: 5000,
  handshakeTimeoutMs: 5000,
  maxLineBytes: 1 << 20,
  staleAfterMissedTicks: 3,
  reconnect: { initialRetryTime: 100, multiplier: 2, factor: 0.2, maxRetryTime: 1000, retries: 5 },
};

/** The real builder's connect/event, with a constant minimal Sample: isolates the shell's cost from sample building. */
const shellOnly: SampleBuilder<unknown> = {
  connect: (info, prev) => sampleBuilder.connect(info, prev as never),
  build: (state) => ({
    state,
    sample: {
      status: 'running',
      running: true,
      stats: null,
      blockDevices: [],
      jobs: [],
      net: [],
      slowRefresh: false,
      errors: [],
      cpu: null,
      memory: null,
      libvirtState: null,
    },
  }),
  event: (ev) => sampleBuilder.event(ev),
};

async function agentPhase(
  socks: string[],
  ms: number,
  builder: SampleBuilder<unknown> = sampleBuilder as SampleBuilder<unknown>,
): Promise<{ cpuMs: number; userMs: number; polls: number; bytes: number; records: number; rssMB: number; sysR: number; sysW: number }> {
  const telemetry = createTelemetry();
  let bytes = 0;
  let records = 0;
  const sink = {
    publish: (_k: string, r: Parameters<typeof encodeRaw>[0]) => {
      bytes += encodeRaw(r).length;
      records++;
    },
  };
  const pollers = socks.map((s) => new VmPoller(unixTarget(s), pollerOpts, { builder, sink, hostReader: sysfsReader(), telemetry }));
  pollers.forEach((p) => p.start());
  const polls = (): number => socks.reduce((n, s) => n + telemetry.polls.value({ vm: unixTarget(s).label }), 0);
  // Warm-up, not measured: connect, identify, and 10 ticks per VM so the JIT has
  // compiled the hot paths (the agent runs for days: steady state is what counts).
  while (pollers.some((p) => p.state !== 'up') || polls() < socks.length * 10) await sleep(50);
  const p0 = polls();
  const b0 = bytes;
  const r0 = records;
  const s0 = syscalls();
  const c0 = process.cpuUsage();
  await sleep(ms);
  const d = process.cpuUsage(c0);
  const s1 = syscalls();
  const n = polls() - p0;
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  const rssMB = mem.rss / 2 ** 20;
  process.stderr.write(
    `# ${socks.length} VMs: rss ${rssMB.toFixed(1)} MB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(1)} / total ${(mem.heapTotal / 2 ** 20).toFixed(1)} MB, external ${(mem.external / 2 ** 20).toFixed(1)} MB\n`,
  );
  await Promise.all(pollers.map((p) => p.stop()));
  return {
    cpuMs: (d.user + d.system) / 1000,
    userMs: d.user / 1000,
    polls: n,
    bytes: bytes - b0,
    records: records - r0,
    rssMB,
    sysR: (s1.r - s0.r) / n,
    sysW: (s1.w - s0.w) / n,
  };
}

async function main(): Promise<void> {
  const acc = accel();
  const t0 = Date.now();
  const socks = Array.from({ length: CPU_VMS }, (_, i) => startQemu(i, acc));
  const version = qemuVersion();
  await sleep(500);
  process.stderr.write(`# ${CPU_VMS} QEMU ${acc} processes up in ${Date.now() - t0} ms (QEMU ${version.major}.${version.minor})\n`);
  const agentPerPoll: number[] = [];
  const basePerPoll: number[] = [];
  const ratios: number[] = [];
  const bytesPerSample: number[] = [];
  const shellPerPoll: number[] = [];
  {
    const b = await baselinePhase(socks, version, WARMUP_MS);
    const a = await agentPhase(socks, WARMUP_MS);
    process.stderr.write(
      `# warm-up round (not counted): agent ${(a.cpuMs / a.polls).toFixed(3)} ms/poll, baseline ${(b.cpuMs / b.polls).toFixed(3)} ms/poll, ratio ${(a.cpuMs / a.polls / (b.cpuMs / b.polls)).toFixed(2)}\n`,
    );
  }
  for (let r = 0; r < ROUNDS; r++) {
    const b = await baselinePhase(socks, version);
    const a = await agentPhase(socks, PHASE_MS);
    const ap = a.cpuMs / a.polls;
    const bp = b.cpuMs / b.polls;
    agentPerPoll.push(ap);
    basePerPoll.push(bp);
    ratios.push(ap / bp);
    bytesPerSample.push(a.bytes / a.records);
    process.stderr.write(
      `# round ${r}: agent ${ap.toFixed(3)} ms/poll (user ${(a.userMs / a.polls).toFixed(3)}, ${a.polls} polls, ${a.sysR.toFixed(1)} reads + ${a.sysW.toFixed(1)} writes/poll), baseline ${bp.toFixed(3)} ms/poll (user ${(b.userMs / b.polls).toFixed(3)}, ${b.polls} polls, ${b.sysR.toFixed(1)} reads + ${b.sysW.toFixed(1)} writes/poll)\n`,
    );
  }
  // The shell-only ablation runs after the comparison: the same VmPoller with another
  // builder makes its call sites polymorphic, and alternating it with the agent phase
  // re-optimized the poller in every measured agent phase (a bench artifact: a running
  // agent never changes builder).
  await agentPhase(socks, WARMUP_MS, shellOnly);
  for (let r = 0; r < ROUNDS; r++) {
    const sh = await agentPhase(socks, PHASE_MS, shellOnly);
    shellPerPoll.push(sh.cpuMs / sh.polls);
  }
  emit(`agent_tick_cpu_per_vm_poll_${acc}_${CPU_VMS}vms`, median(agentPerPoll), 'ms');
  emit(`agent_tick_baseline_cpu_per_vm_poll_${acc}_${CPU_VMS}vms`, median(basePerPoll), 'ms');
  emit('agent_tick_vs_baseline_cpu_ratio', median(ratios), 'x');
  emit(`agent_tick_without_sample_building_cpu_per_vm_poll_${acc}_${CPU_VMS}vms`, median(shellPerPoll), 'ms');
  emit('agent_avro_bytes_per_record', median(bytesPerSample), 'B');

  if (RSS_VMS > CPU_VMS) {
    const t1 = Date.now();
    for (let i = CPU_VMS; i < RSS_VMS; i++) socks.push(startQemu(i, acc));
    process.stderr.write(`# ${RSS_VMS} QEMU processes up (+${Date.now() - t1} ms)\n`);
  }
  const big = await agentPhase(socks.slice(0, RSS_VMS), 5000);
  emit(`agent_tick_rss_in_process_${RSS_VMS}vms`, big.rssMB, 'MB');
  emit(`agent_tick_cpu_per_vm_poll_${acc}_${RSS_VMS}vms`, big.cpuMs / big.polls, 'ms');
}

/**
 * The agent is deployed with NODE_OPTIONS=--max-semi-space-size=4 (agent/README.md): V8's
 * default young generation grows to ~48 MB under the poll loop's short-lived garbage,
 * which is most of the RSS, for no measurable CPU gain. Measure it as deployed: re-run
 * this file under that flag (agent and baseline alike) unless it is already set.
 */
const SEMI = '--max-semi-space-size=4';
if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size')) && !(process.env.NODE_OPTIONS ?? '').includes('--max-semi-space-size')) {
  const res = spawnSync(process.execPath, [SEMI, ...process.execArgv, fileURLToPath(import.meta.url)], { stdio: 'inherit' });
  process.exit(res.status ?? 1);
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (err: unknown) => {
    cleanup();
    process.stderr.write(`agent-tick bench failed: ${String((err as Error).stack ?? err)}\n`);
    process.exit(1);
  },
);
