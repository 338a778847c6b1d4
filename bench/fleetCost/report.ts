/**
 * The fleet-cost bench's JSON lines for one N: medians over rounds, and ratios taken
 * round by round (the agent against the peer measured next to it) before the median.
 * Names end in `.nN`; at the headline N (50) the names are also printed bare,
 * and the agent's RSS at N = 100 as `agent.process.rss_mb`.
 */
import { emit, median } from '../util.js';
import type { AbPhase } from './abPhase.js';
import { WARMUP_STEP_MS, type AgentPhase, type ExporterPhase, type VirshPhase } from './phases.js';
import type { ProcDelta } from './procfs.js';

export const HEADLINE_N = 50;
export const RSS_N = 100;

export interface RoundResult {
  n: number;
  agent: AgentPhase;
  exporter: ExporterPhase;
  virsh: VirshPhase;
  agentNone: AgentPhase | undefined;
  /** At RSS_N: the agent under other NODE_OPTIONS (QMPIPE_BENCH_FLEET_ALT_NODE_OPTIONS). */
  agentAlt?: AgentPhase | undefined;
  /** At HEADLINE_N: this agent beside another checkout's (QMPIPE_BENCH_FLEET_BASELINE). */
  ab?: AbPhase | undefined;
}

/** CPU ms per VM-poll of the agent process (utime + stime). */
export const agentPerPoll = (a: AgentPhase): number => a.cpu.statMs / a.polls;
/** Exporter and libvirtd CPU ms per VM per scrape. */
export const exporterPerVm = (e: ExporterPhase): { exporter: number; libvirtd: number } => ({
  exporter: e.exporter.statMs / e.scrapes / e.domains,
  libvirtd: e.libvirtd.statMs / e.scrapes / e.domains,
});

const f3 = (x: number): string => x.toFixed(3);

/** One round's figures in a line, for the bench's stderr. */
export function describeRound(round: RoundResult, o: { altNodeOptions: string; baseline: string }): string {
  const { agent: a, exporter: e, virsh: v, n } = round;
  return (
    `agent ${f3(agentPerPoll(a))} ms/VM-poll (${a.polls} polls, ${a.missed} missed, rss ${a.rssMb.toFixed(1)} MB, libvirtd ${f3(a.libvirtd.statMs / a.libvirtd.seconds)} ms/s; warm-up by ${WARMUP_STEP_MS / 1000} s: ${a.warmupCurve.map(f3).join(', ')}); ` +
    `exporter ${f3(e.exporter.statMs / e.scrapes / e.domains)} + libvirtd ${f3(e.libvirtd.statMs / e.scrapes / e.domains)} ms/VM-scrape (${e.scrapes} scrapes of ${e.domains} domains, ${e.scrapeMs.toFixed(0)} ms each); ` +
    `virsh: libvirtd ${f3(v.libvirtd.statMs / v.calls / n)}, virsh ${f3(v.virshMs / v.calls / n)} ms/VM` +
    (round.agentNone ? `; agent (no compression) ${f3(agentPerPoll(round.agentNone))} ms/VM-poll` : '') +
    (round.agentAlt
      ? `; agent (NODE_OPTIONS=${o.altNodeOptions}) ${f3(agentPerPoll(round.agentAlt))} ms/VM-poll, rss ${round.agentAlt.rssMb.toFixed(1)} MB`
      : '') +
    (round.ab
      ? `; side by side on ${round.ab.vmsEach} VMs each: this agent ${f3(round.ab.ours)}, baseline (${o.baseline}) ${f3(round.ab.baseline)} ms/VM-poll`
      : '')
  );
}

function perN(n: number, name: string, xs: number[], unit: string, bare = false): void {
  const m = median(xs);
  emit(`${name}.n${n}`, m, unit);
  if (bare) emit(name, m, unit);
}

export function emitNScope(n: number, rounds: RoundResult[], quiet: ProcDelta): void {
  const head = n === HEADLINE_N;
  const agent = rounds.map((r) => agentPerPoll(r.agent));
  const exp = rounds.map((r) => exporterPerVm(r.exporter));
  const virshLibvirtd = rounds.map((r) => r.virsh.libvirtd.statMs / r.virsh.calls / n);
  perN(n, 'agent.process.cpu_ms_per_vm_poll', agent, 'ms', head);
  perN(
    n,
    'agent.process.cpu_ms_per_vm_poll.first_30s',
    rounds.map((r) => r.agent.warmupCurve[0] ?? Number.NaN),
    'ms',
  );
  perN(
    n,
    'agent.process.rss_mb',
    rounds.map((r) => r.agent.rssMb),
    'MB',
    n === RSS_N,
  );
  perN(
    n,
    'agent.process.missed_ticks',
    rounds.map((r) => r.agent.missed),
    'ticks',
  );
  perN(
    n,
    'agent.libvirtd_cpu_ms_per_s',
    rounds.map((r) => r.agent.libvirtd.statMs / r.agent.libvirtd.seconds),
    'ms/s',
  );
  perN(
    n,
    'peer.exporter_libvirtd.cpu_ms_per_vm_scrape',
    exp.map((e) => e.exporter + e.libvirtd),
    'ms',
    head,
  );
  perN(
    n,
    'peer.exporter.cpu_ms_per_vm_scrape',
    exp.map((e) => e.exporter),
    'ms',
  );
  perN(
    n,
    'peer.exporter_libvirtd.libvirtd_cpu_ms_per_vm_scrape',
    exp.map((e) => e.libvirtd),
    'ms',
  );
  perN(n, 'peer.virsh_domstats.libvirtd_cpu_ms_per_vm', virshLibvirtd, 'ms', head);
  perN(
    n,
    'peer.virsh_domstats.virsh_cpu_ms_per_vm',
    rounds.map((r) => r.virsh.virshMs / r.virsh.calls / n),
    'ms',
  );
  perN(
    n,
    'agent.vs_exporter_libvirtd.cheaper_x',
    exp.map((e, i) => (e.exporter + e.libvirtd) / agent[i]!),
    'x',
    head,
  );
  perN(
    n,
    'agent.vs_virsh_domstats_libvirtd.cheaper_x',
    rounds.map((_, i) => virshLibvirtd[i]! / agent[i]!),
    'x',
    head,
  );
  perN(
    n,
    'peer.exporter.series_per_scrape',
    rounds.map((r) => r.exporter.series),
    'series',
  );
  perN(
    n,
    'peer.exporter.domain_series_per_vm',
    rounds.map((r) => r.exporter.domainSeries / r.exporter.domains),
    'series',
  );
  perN(
    n,
    'peer.exporter.domains_scraped',
    rounds.map((r) => r.exporter.domains),
    'domains',
  );
  perN(
    n,
    'peer.virsh_domstats.values_per_vm',
    rounds.map((r) => r.virsh.valuesPerDomain),
    'values',
  );
  emit(`libvirtd.quiet_cpu_ms_per_s.n${n}`, quiet.statMs / quiet.seconds, 'ms/s');
  const bytes = rounds.filter((r) => r.agent.brokerBytes !== undefined).map((r) => r.agent.brokerBytes! / r.agent.records);
  if (bytes.length > 0) perN(n, 'agent.broker_bytes_per_record.gzip', bytes, 'B');
  emitAlt(n, rounds);
  emitBaseline(n, rounds);
  const none = rounds.filter((r) => r.agentNone !== undefined).map((r) => r.agentNone!);
  if (none.length === 0) return;
  perN(n, 'agent.process.cpu_ms_per_vm_poll.compression_none', none.map(agentPerPoll), 'ms');
  perN(
    n,
    'agent.compression_none_vs_gzip.cpu_ratio',
    rounds.map((r) => agentPerPoll(r.agentNone!) / agentPerPoll(r.agent)),
    'x',
  );
  const noneBytes = none.filter((a) => a.brokerBytes !== undefined).map((a) => a.brokerBytes! / a.records);
  if (noneBytes.length > 0) perN(n, 'agent.broker_bytes_per_record.none', noneBytes, 'B');
}

/** The agent under other V8 settings beside the deployed ones, same N, same rounds. */
function emitAlt(n: number, rounds: RoundResult[]): void {
  const both = rounds.filter((r) => r.agentAlt !== undefined);
  if (both.length === 0) return;
  perN(
    n,
    'agent.process.rss_mb.alt_node_options',
    both.map((r) => r.agentAlt!.rssMb),
    'MB',
  );
  perN(
    n,
    'agent.process.cpu_ms_per_vm_poll.alt_node_options',
    both.map((r) => agentPerPoll(r.agentAlt!)),
    'ms',
  );
  perN(
    n,
    'agent.alt_node_options_vs_deployed.cpu_ratio',
    both.map((r) => agentPerPoll(r.agentAlt!) / agentPerPoll(r.agent)),
    'x',
  );
}

/** This agent beside another checkout's, at the same time on half the VMs each: the ratio of this one to it, per round. */
function emitBaseline(n: number, rounds: RoundResult[]): void {
  const ab = rounds.filter((r) => r.ab !== undefined).map((r) => r.ab!);
  if (ab.length === 0) return;
  perN(
    n,
    'agent.ab.cpu_ms_per_vm_poll.ours',
    ab.map((x) => x.ours),
    'ms',
  );
  perN(
    n,
    'agent.ab.cpu_ms_per_vm_poll.baseline',
    ab.map((x) => x.baseline),
    'ms',
  );
  perN(
    n,
    'agent.vs_baseline.cpu_ratio',
    ab.map((x) => x.ours / x.baseline),
    'x',
  );
}
