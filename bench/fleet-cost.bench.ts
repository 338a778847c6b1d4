/**
 * Issue 16: what the agent costs a host, as a whole process, beside its peer on the same
 * VMs in the same run (`npm run bench -- fleet-cost`; root, Linux; installs libvirt and
 * prometheus-libvirt-exporter through infra/deps.sh when missing).
 *
 * 1. Idle: `qmpipe agent` with zero VMs, connected to the broker (CPU ms/s, wake-ups/s),
 *    and one `qmpipe processor` with no records.
 * 2. For each N (12, 50, 100): N paused KVM libvirt domains (2 vCPUs, one qcow2, a second
 *    QMP monitor each); then ROUNDS rounds, each running in turn (order rotated per round):
 *      agent     `qmpipe agent` as deployed on the N second monitors: CPU (utime+stime of
 *                /proc/PID/stat) per VM-poll over a window after a 2-minute warm-up (V8's
 *                tier-up; the warm-up's own curve is printed too), RSS
 *      exporter  prometheus-libvirt-exporter scraped every 1 s: exporter + libvirtd CPU
 *                per VM per scrape
 *      virsh     `virsh domstats --block --backing --vcpu --state` of the N every 1 s
 *      agent-none  (at N = 50 only; QMPIPE_BENCH_FLEET_NONE=0 skips) the agent with compression none: CPU and broker bytes
 *      agent-alt   (at N = 100, when QMPIPE_BENCH_FLEET_ALT_NODE_OPTIONS is set, e.g.
 *                  --max-semi-space-size=2) the agent under those V8 settings: RSS and CPU
 *      agent-ab    (at N = 50, when QMPIPE_BENCH_FLEET_BASELINE names another built
 *                  checkout) this agent and that checkout's at the same time, each on half
 *                  the domains, halves swapped per round (fleetCost/abPhase.ts): their ratio
 *      libvirt-qmp, libvirt-stats  (at N = 50 only; QMPIPE_BENCH_FLEET_LIBVIRT=0 skips both, =qmp or =stats runs one) the agent
 *                reaching the domains through libvirtd in each libvirt mode: its CPU plus the
 *                libvirtd CPU above libvirtd's quiet load, per VM-poll
 *    A round's ratio compares the agent with the peer of the same round.
 * 3. A CPU profile of the agent at N = 50 (node --cpu-prof), over its measured window.
 *
 * Prints JSON lines (medians over rounds). Knobs: QMPIPE_BENCH_FLEET_VMS (12,50,100; empty: idle lines only),
 * QMPIPE_BENCH_FLEET_ROUNDS (3; 0: the profile only), QMPIPE_BENCH_FLEET_WARMUP_S (120), QMPIPE_BENCH_FLEET_WINDOW_S
 * (30), QMPIPE_BENCH_FLEET_IDLE_S (20), QMPIPE_BENCH_FLEET_IDLE_SETTLE_S (15), QMPIPE_BENCH_FLEET_PROFILE (1),
 * QMPIPE_BENCH_FLEET_PROFILE_MODE (socket; qmp or stats: the agent in that libvirt mode), QMPIPE_BENCH_FLEET_PROCESSOR (1).
 * Everything it starts (domains, exporter, agent, libvirtd if it started it, the stack) is
 * stopped at the end, on failure and on SIGINT/SIGTERM.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '#common/paths.js';
import { AgentChild } from './fleetCost/agentChild.js';
import { domainAccel, PausedDomains, startExporter, startLibvirt, stopExporter, stopLibvirt } from './fleetCost/libvirtHost.js';
import { agentPhase, exporterPhase, quietPhase, virshPhase, type AgentPhase, type ExporterPhase, type VirshPhase } from './fleetCost/phases.js';
import { abPhase, type AbPhase } from './fleetCost/abPhase.js';
import { agentIdle, processorIdle } from './fleetCost/idle.js';
import { sleep } from './fleetCost/procfs.js';
import { summarizeProfile } from './fleetCost/profile.js';
import { describeRound, emitNScope, HEADLINE_N, RSS_N, type RoundResult } from './fleetCost/report.js';
import { valuesPerSample } from './fleetCost/samples.js';
import { benchStack, type BenchStack } from './stack.js';
import { emit, median } from './util.js';

const env = process.env;
const NS = (env.QMPIPE_BENCH_FLEET_VMS ?? '12,50,100')
  .split(',')
  .map(Number)
  .filter((n) => n > 0) // QMPIPE_BENCH_FLEET_VMS= (empty): the idle lines only
  .sort((a, b) => a - b);
const ROUNDS = Number(env.QMPIPE_BENCH_FLEET_ROUNDS ?? 3);
/**
 * The agent's CPU per poll falls for about 2 minutes after start while V8 tiers its hot
 * code up (at 50 VMs: 0.74 ms in the first 30 s, 0.61, 0.53, then 0.45 from 90-120 s on);
 * a host pays the steady figure for weeks, so the window starts after that.
 */
const WARMUP_MS = Number(env.QMPIPE_BENCH_FLEET_WARMUP_S ?? 120) * 1000;
const WINDOW_MS = Number(env.QMPIPE_BENCH_FLEET_WINDOW_S ?? 30) * 1000;
const IDLE_MS = Number(env.QMPIPE_BENCH_FLEET_IDLE_S ?? 20) * 1000;
/** Start-up settles in about 10 s (JIT, GC, the producer's first metadata): idle is measured after it. */
const IDLE_SETTLE_MS = Number(env.QMPIPE_BENCH_FLEET_IDLE_SETTLE_S ?? 15) * 1000;
const PROFILE = env.QMPIPE_BENCH_FLEET_PROFILE !== '0';
const PROCESSOR = env.QMPIPE_BENCH_FLEET_PROCESSOR !== '0';

const runDir = join(packageRoot(), '.run', `fleet-cost-${process.pid}`);
const group = `fc${process.pid}`;
let stack: BenchStack | undefined;
let domains: PausedDomains | undefined;
let exporterUp = false;
let libvirtUp = false;
/** Agents running now (killed on SIGINT). */
const agents = new Set<AgentChild>();

const note = (s: string): boolean => process.stderr.write(`# ${s}\n`);
const f3 = (x: number): string => x.toFixed(3);

/** Stops everything this run started; synchronous, so it also serves the signal handlers. */
function cleanup(): void {
  for (const a of agents) a.killNow();
  const steps: Array<[string, () => void]> = [
    ['domains', () => domains?.stop()],
    ['exporter', () => exporterUp && stopExporter(runDir)],
    ['libvirtd', () => libvirtUp && stopLibvirt(runDir)],
    ['stack', () => void stack?.stop()], // stack-down.sh runs in a spawnSync
  ];
  for (const [what, step] of steps) {
    try {
      step();
    } catch (err) {
      note(`cleanup of ${what} failed: ${String(err)}`);
    }
  }
  domains = undefined;
  exporterUp = libvirtUp = false;
  stack = undefined;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    note(`${sig}: cleaning up`);
    cleanup();
    process.exit(130);
  });
}

function agentOpts(name: string, sockets: readonly string[], compression?: 'gzip' | 'none') {
  return {
    brokers: stack!.brokers,
    sockets,
    rawTopic: `${group}-${name}-raw`,
    schemaTopic: `${group}-schemas`,
    ...(compression ? { compression } : {}),
    dir: runDir,
    name,
    dataDir: stack!.kafkaDataDir,
    onStart: (a: AgentChild) => void agents.add(a),
  };
}

async function idleAgent(): Promise<void> {
  const ws = await agentIdle((r) => AgentChild.start(agentOpts(`idle${r}`, [])).then((a) => agents.add(a) && a), IDLE_SETTLE_MS, IDLE_MS, ROUNDS);
  for (const [r, d] of ws.entries())
    note(
      `idle agent round ${r}: ${f3(d.runMs / d.seconds)} ms/s (stat ${f3(d.statMs / d.seconds)}), wake-ups ${f3(d.mainSwitches / d.seconds)}/s main thread, ${f3(d.allSwitches / d.seconds)}/s all threads`,
    );
  emit('agent.process.idle_cpu_ms_per_s', median(ws.map((d) => d.runMs / d.seconds)), 'ms/s');
  emit('agent.process.idle_wakeups_per_s', median(ws.map((d) => d.mainSwitches / d.seconds)), '1/s');
  emit('agent.process.idle_wakeups_all_threads_per_s', median(ws.map((d) => d.allSwitches / d.seconds)), '1/s');
}

async function idleProcessor(): Promise<void> {
  const ws = await processorIdle(stack!, 4, IDLE_SETTLE_MS, IDLE_MS, ROUNDS);
  for (const d of ws)
    note(`idle processor: ${f3(d.runMs / d.seconds)} ms/s, wake-ups ${f3(d.mainSwitches / d.seconds)}/s main, ${f3(d.allSwitches / d.seconds)}/s all`);
  emit('processor.idle_cpu_ms_per_s', median(ws.map((d) => d.runMs / d.seconds)), 'ms/s');
  emit('processor.idle_wakeups_per_s', median(ws.map((d) => d.mainSwitches / d.seconds)), '1/s');
}

type Kind = 'agent' | 'exporter' | 'virsh' | 'agent-none' | 'agent-alt' | 'agent-ab' | 'libvirt-qmp' | 'libvirt-stats';
/** V8 settings tried beside the deployed ones at N = 100 (RSS target), e.g. --max-semi-space-size=2; empty (default): not tried. */
const ALT_NODE_OPTIONS = env.QMPIPE_BENCH_FLEET_ALT_NODE_OPTIONS ?? '';
/** Another built checkout (e.g. a `git worktree` of the last release after `npm ci`) whose agent runs beside this one at N = 50 (agent-ab). */
const BASELINE = env.QMPIPE_BENCH_FLEET_BASELINE ?? '';
const LIBVIRT_ENV = env.QMPIPE_BENCH_FLEET_LIBVIRT;
const LIBVIRT_MODES: Array<'qmp' | 'stats'> = LIBVIRT_ENV === '0' ? [] : LIBVIRT_ENV === 'qmp' || LIBVIRT_ENV === 'stats' ? [LIBVIRT_ENV] : ['qmp', 'stats'];
const AGENT_NONE = env.QMPIPE_BENCH_FLEET_NONE !== '0';

/** The agent in a libvirt mode costs its own CPU and what it makes libvirtd do (over libvirtd's quiet load), per VM-poll. */
function libvirtModeMs(p: AgentPhase, quietMsPerS: number): number {
  return (p.cpu.statMs + Math.max(0, p.libvirtd.statMs - quietMsPerS * p.libvirtd.seconds)) / p.polls;
}

async function measureN(n: number, libvirtdPid: number, exporter: { url: string; pid: number }): Promise<void> {
  domains!.growTo(n);
  const doms = domains!.domains.slice(0, n);
  const sockets = doms.map((d) => d.qmpSocket);
  await sleep(2_000);
  const quiet = await quietPhase(libvirtdPid, 5_000);
  note(`N=${n} (${domainAccel(doms[0]!)}): libvirtd quiet ${f3(quiet.statMs / quiet.seconds)} ms/s`);
  const kinds: Kind[] = n === HEADLINE_N && AGENT_NONE ? ['agent', 'exporter', 'virsh', 'agent-none'] : ['agent', 'exporter', 'virsh'];
  if (n === HEADLINE_N) for (const mode of LIBVIRT_MODES) kinds.push(`libvirt-${mode}`);
  if (n === RSS_N && ALT_NODE_OPTIONS !== '') kinds.push('agent-alt');
  if (n === HEADLINE_N && BASELINE !== '') kinds.push('agent-ab');
  const byMode: Record<'qmp' | 'stats', number[]> = { qmp: [], stats: [] };
  const quietMsPerS = quiet.statMs / quiet.seconds;
  const rounds: RoundResult[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const res: Partial<{
      agent: AgentPhase;
      exporter: ExporterPhase;
      virsh: VirshPhase;
      agentNone: AgentPhase;
      agentAlt: AgentPhase;
      ab: AbPhase;
    }> = {};
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[(k + r) % kinds.length]!;
      const common = { libvirtdPid, warmupMs: WARMUP_MS, windowMs: WINDOW_MS };
      if (kind === 'agent') res.agent = await agentPhase({ ...agentOpts(`n${n}r${r}`, sockets), ...common });
      else if (kind === 'agent-none') res.agentNone = await agentPhase({ ...agentOpts(`n${n}r${r}none`, sockets, 'none'), ...common });
      else if (kind === 'agent-alt') res.agentAlt = await agentPhase({ ...agentOpts(`n${n}r${r}alt`, sockets), nodeOptions: ALT_NODE_OPTIONS, ...common });
      else if (kind === 'agent-ab') {
        const half = [sockets.slice(0, n >> 1), sockets.slice(n >> 1, 2 * (n >> 1))];
        const [mine, theirs] = r % 2 === 0 ? half : [half[1]!, half[0]!];
        res.ab = await abPhase({
          ours: agentOpts(`n${n}r${r}abOurs`, mine!),
          baseline: { ...agentOpts(`n${n}r${r}abBase`, theirs!), root: BASELINE },
          warmupMs: WARMUP_MS,
          windowMs: WINDOW_MS,
          onStart: (a) => agents.add(a),
        });
      } else if (kind === 'libvirt-qmp' || kind === 'libvirt-stats') {
        const mode = kind === 'libvirt-qmp' ? 'qmp' : 'stats';
        const lv = { libvirt: { mode, domains: doms.map((d) => d.name) } } as const;
        const p = await agentPhase({ ...agentOpts(`n${n}r${r}${mode}`, []), ...lv, ...common });
        byMode[mode].push(libvirtModeMs(p, quietMsPerS));
        note(
          `N=${n} round ${r}: agent in libvirt ${mode} mode ${f3(p.cpu.statMs / p.polls)} ms/VM-poll + libvirtd ${f3((p.libvirtd.statMs - quietMsPerS * p.libvirtd.seconds) / p.polls)} (${p.polls} polls)`,
        );
      } else if (kind === 'exporter') res.exporter = await exporterPhase(exporter.url, exporter.pid, libvirtdPid, 3_000, WINDOW_MS);
      else
        res.virsh = await virshPhase(
          doms.map((d) => d.name),
          libvirtdPid,
          WINDOW_MS,
        );
      agents.clear();
    }
    const round = {
      agent: res.agent!,
      exporter: res.exporter!,
      virsh: res.virsh!,
      agentNone: res.agentNone,
      agentAlt: res.agentAlt,
      ab: res.ab,
      n,
    };
    rounds.push(round);
    note(`N=${n} round ${r}: ${describeRound(round, { altNodeOptions: ALT_NODE_OPTIONS, baseline: BASELINE })}`);
  }
  for (const mode of ['qmp', 'stats'] as const) {
    if (byMode[mode].length === 0) continue;
    const peer = median(rounds.map((x) => (x.exporter.exporter.statMs + x.exporter.libvirtd.statMs) / x.exporter.scrapes / x.exporter.domains));
    emit(`agent.libvirt_${mode}.n${n}.cpu_ms_per_vm_poll_with_libvirtd`, median(byMode[mode]), 'ms');
    emit(`agent.libvirt_${mode}.n${n}.vs_exporter_libvirtd.cheaper_x`, peer / median(byMode[mode]), 'x');
  }
  if (n === NS[0]) emit('agent.values_per_sample', await valuesPerSample(stack!.brokers, `${group}-n${n}r0-raw`, n * 3), 'values');
  emitNScope(n, rounds, quiet);
}

/** Which agent the profile is of: on the QMP sockets (default), or in libvirt's qmp or stats mode. */
const PROFILE_MODE = env.QMPIPE_BENCH_FLEET_PROFILE_MODE ?? 'socket';

async function profileAgent(n: number, libvirtdPid: number): Promise<void> {
  domains!.growTo(n);
  const doms = domains!.domains.slice(0, n);
  const dir = join(runDir, 'cpu-prof');
  mkdirSync(dir, { recursive: true });
  const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  const common = { nodeArgs, libvirtdPid, warmupMs: WARMUP_MS, windowMs: WINDOW_MS };
  const p =
    PROFILE_MODE === 'qmp' || PROFILE_MODE === 'stats'
      ? await agentPhase({ ...agentOpts(`n${n}prof`, []), libvirt: { mode: PROFILE_MODE, domains: doms.map((d) => d.name) }, ...common })
      : await agentPhase({
          ...agentOpts(
            `n${n}prof`,
            doms.map((d) => d.qmpSocket),
          ),
          ...common,
        });
  agents.clear();
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .at(-1);
  if (!file) return void note('no .cpuprofile written');
  const s = summarizeProfile(join(dir, file), p.windowMonoUs[0], p.windowMonoUs[1]);
  const busy = s.parts.reduce((x, y) => x + y.ms, 0);
  note(
    `profile of the agent (${PROFILE_MODE}) at N=${n} (${join(dir, file)}): main thread busy ${busy.toFixed(0)} of ${s.windowMs.toFixed(0)} ms; ` +
      `the process ${p.cpu.statMs.toFixed(0)} ms CPU (all threads), ${f3(p.cpu.statMs / p.polls)} ms/VM-poll under the profiler`,
  );
  for (const x of s.parts) note(`  ${(x.share * 100).toFixed(1).padStart(5)} %  ${x.part}`);
  note("top functions (self time, share of the main thread's busy samples: wall time, a preempted thread included):");
  for (const x of s.functions) note(`  ${(x.share * 100).toFixed(1).padStart(5)} %  ${x.fn}  [${x.part}]`);
  for (const x of s.parts.slice(0, 10)) emit(`agent.profile.n${n}.share.${x.part.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`, x.share * 100, '%');
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('fleet-cost needs root (libvirtd, KVM domains, apt for the exporter)');
  mkdirSync(runDir, { recursive: true });
  stack = await benchStack();
  note(`run dir ${runDir}; N = ${NS.join(', ')}; ${ROUNDS} rounds; warm-up ${WARMUP_MS / 1000} s, window ${WINDOW_MS / 1000} s`);
  if (ROUNDS > 0) await idleAgent();
  if (ROUNDS > 0 && PROCESSOR) await idleProcessor();
  if (NS.length === 0) return;
  libvirtUp = true;
  const libvirtdPid = startLibvirt(runDir);
  exporterUp = true;
  const exporter = startExporter(runDir);
  domains = new PausedDomains(runDir, group);
  if (ROUNDS > 0) for (const n of NS) await measureN(n, libvirtdPid, exporter); // ROUNDS=0: the profile only
  const profN = NS.includes(HEADLINE_N) ? HEADLINE_N : NS[NS.length - 1]!;
  if (PROFILE) await profileAgent(profN, libvirtdPid);
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (err: unknown) => {
    note(`fleet-cost bench failed: ${String((err as Error).stack ?? err)}`);
    cleanup();
    process.exit(1);
  },
);
