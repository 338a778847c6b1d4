/**
 * What each of libvirt's bulk-stats groups costs libvirtd, per domain per call
 * (`npm run bench -- libvirt-groups`; root, Linux): N paused KVM domains (the fleet-cost
 * bench's), then `virsh domstats GROUPS DOMS` every second for a window per set of
 * groups, the sets interleaved over rounds; libvirtd's CPU (utime + stime) per domain per
 * call, median over rounds. The `stats` mode's ticks ask for `agent-fast` (every tick) and
 * `agent-slow` (the slow grid); the exporter's calls are in fleet-cost.
 *
 * Prints JSON lines `libvirt_groups.<set>.libvirtd_ms_per_vm`. Knobs:
 * QMPIPE_BENCH_GROUPS_VMS (50), QMPIPE_BENCH_GROUPS_ROUNDS (2), QMPIPE_BENCH_GROUPS_WINDOW_S (20),
 * QMPIPE_BENCH_GROUPS_SETS (a comma list of set names; default all).
 */
import { join } from 'node:path';
import { packageRoot } from '#common/paths.js';
import { PausedDomains, startLibvirt, stopLibvirt } from './fleetCost/libvirtHost.js';
import { quietPhase, virshPhase } from './fleetCost/phases.js';
import { emit, median } from './util.js';

const env = process.env;
const N = Number(env.QMPIPE_BENCH_GROUPS_VMS ?? 50);
const ROUNDS = Number(env.QMPIPE_BENCH_GROUPS_ROUNDS ?? 2);
const WINDOW_MS = Number(env.QMPIPE_BENCH_GROUPS_WINDOW_S ?? 20) * 1000;

/** QMPIPE_BENCH_GROUPS_SETS: a comma list of set names to run (default all). */
const SET_FILTER = (env.QMPIPE_BENCH_GROUPS_SETS ?? '').split(',').filter((x) => x !== '');
const ALL_SETS: ReadonlyArray<[string, string[]]> = [
  ['state', ['--state']],
  ['block_backing', ['--state', '--block', '--backing']],
  ['vcpu', ['--state', '--vcpu']],
  ['vm', ['--state', '--vm']],
  ['balloon', ['--state', '--balloon']],
  ['cpu_total', ['--state', '--cpu-total']],
  ['interface', ['--state', '--interface']],
  ['agent_fast', ['--state', '--cpu-total', '--block', '--backing', '--vcpu', '--interface', '--vm']],
  ['agent_slow', ['--state', '--cpu-total', '--block', '--backing', '--vcpu', '--interface', '--vm', '--balloon']],
  ['agent_fast_without_cpu_total', ['--state', '--block', '--backing', '--vcpu', '--interface', '--vm']],
];
const SETS = ALL_SETS.filter(([name]) => SET_FILTER.length === 0 || SET_FILTER.includes(name));

const runDir = join(packageRoot(), '.run', `libvirt-groups-${process.pid}`);
const domains = new PausedDomains(runDir, `lg${process.pid}`);
const note = (s: string): boolean => process.stderr.write(`# ${s}\n`);
let stopped = false;
const stop = (): void => {
  if (stopped) return;
  stopped = true;
  domains.stop();
  stopLibvirt(runDir);
};
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    stop();
    process.exit(code);
  });
}

try {
  const libvirtd = startLibvirt(runDir);
  domains.growTo(N);
  const names = domains.domains.map((d) => d.name);
  const quiet = await quietPhase(libvirtd, 5_000);
  const quietMsPerS = quiet.statMs / quiet.seconds;
  note(`${N} paused domains; libvirtd quiet ${quietMsPerS.toFixed(3)} ms/s; ${ROUNDS} rounds of ${WINDOW_MS / 1000} s per set`);
  const per = new Map<string, number[]>(SETS.map(([name]) => [name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < SETS.length; k++) {
      const [name, groups] = SETS[(k + r) % SETS.length]!;
      const p = await virshPhase(names, libvirtd, WINDOW_MS, groups);
      const ms = (p.libvirtd.statMs - quietMsPerS * p.libvirtd.seconds) / p.calls / N;
      per.get(name)!.push(ms);
      note(
        `round ${r} ${name} (${groups.join(' ')}): libvirtd ${ms.toFixed(3)} ms per domain per call, ${p.valuesPerDomain.toFixed(0)} values a domain, ${p.callMs.toFixed(0)} ms a call`,
      );
    }
  }
  for (const [name, xs] of per) emit(`libvirt_groups.${name}.libvirtd_ms_per_vm`, median(xs), 'ms');
} finally {
  stop();
}
