/**
 * The core's series vocabulary (docs/processor-core.md: block.vda.wr.bytes,
 * block.vda.1.allocation, vcpu.0.exits, net.tap0.rx.bytes) → Prometheus metric names
 * and labels, following its conventions: a `qmpipe_` prefix, base units spelled in the
 * name (`_bytes`, `_seconds`), `_total` on counters, one series per label set. Pure.
 * The full table is in processor/README.md ("Prometheus remote write").
 */

export interface PromName {
  name: string;
  /** Labels beyond host, vm and vm_uuid (device, backing_index, vcpu, interface, quantile). */
  labels: Array<[string, string]>;
}

const OPS: Record<string, string> = { rd: 'read', wr: 'write', fl: 'flush', unmap: 'unmap' };
const NET_DIR: Record<string, string> = { rx: 'receive', tx: 'transmit' };
const NET_WHAT: Record<string, string> = { bytes: 'bytes', pkts: 'packets', errs: 'errors', drop: 'drops' };
const QUANTILE: Record<string, string> = { p50: '0.5', p90: '0.9', p99: '0.99' };

/** The run state in libvirt's numbers (virDomainState and its reason), as virsh domstats' state.state and state.reason. */
const STATE_NAMES = new Map([
  ['state', 'qmpipe_domain_state'],
  ['reason', 'qmpipe_domain_state_reason'],
]);

/** The QEMU process's CPU time (cpu.time, cpu.user, cpu.system), counters in seconds; vcpu.N.time goes as a vCPU stat. */
const CPU_NAMES = new Map([
  ['time', 'qmpipe_cpu_seconds_total'],
  ['user', 'qmpipe_cpu_user_seconds_total'],
  ['system', 'qmpipe_cpu_system_seconds_total'],
]);

/**
 * balloon.<name> (virsh domstats --balloon, #schemas/memoryStats.ts): gauges in bytes
 * (`qmpipe_balloon_current_bytes`), the guest's cumulative figures as counters
 * (`qmpipe_balloon_swap_in_bytes_total`, `qmpipe_balloon_major_fault_total`), and the
 * guest's last report as `qmpipe_balloon_last_update_timestamp_seconds`.
 */
function balloonName(rest: string[], unit: string, counter: boolean): PromName | null {
  if (rest.length !== 1) return null;
  const base = sanitize(rest[0]!);
  if (base === 'last_update') return counter ? null : { name: 'qmpipe_balloon_last_update_timestamp_seconds', labels: [] };
  return { name: `qmpipe_balloon_${base}${unitSuffix(unit)}${counter ? '_total' : ''}`, labels: [] };
}

/** A metric-name-safe word: [a-zA-Z0-9_], anything else becomes `_`. */
export function sanitize(s: string): string {
  return s.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** The unit suffix Prometheus names carry: base units only (count and boolean have none). */
function unitSuffix(unit: string): string {
  if (unit === 'seconds' || unit === 'bytes' || unit === 'cycles') return `_${unit}`;
  if (unit === 'bytes/s') return '_bytes_per_second';
  return '';
}

/** KVM stat name + unit: halt_wait_ns in seconds → halt_wait_seconds; no doubled suffix. */
function withUnit(base: string, unit: string): string {
  const suffix = unitSuffix(unit);
  let b = sanitize(base);
  if (unit === 'seconds') b = b.replace(/_ns$/, '');
  return b.endsWith(suffix) ? b : b + suffix;
}

function blockName(dev: string, rest: string[], unit: string, counter: boolean): PromName | null {
  const labels: Array<[string, string]> = [['device', dev]];
  if (rest.length === 2 && /^\d+$/.test(rest[0]!)) {
    const field = rest[1]!;
    if (!['allocation', 'capacity', 'physical', 'free', 'growth'].includes(field)) return null;
    return { name: `qmpipe_chain_${field}${unitSuffix(unit)}`, labels: [...labels, ['backing_index', rest[0]!]] };
  }
  if (rest.length === 1 && rest[0] === 'idle') return { name: 'qmpipe_block_idle_seconds', labels };
  const op = OPS[rest[0] ?? ''];
  if (!op || rest.length !== 2) return null;
  const what = rest[1]!;
  if (what === 'latency') return counter ? null : { name: `qmpipe_block_${op}_latency_seconds`, labels };
  if (!counter) return null;
  if (what === 'reqs') return { name: `qmpipe_block_${op}_requests_total`, labels };
  if (what === 'bytes') return { name: `qmpipe_block_${op}_bytes_total`, labels };
  if (what === 'times') return { name: `qmpipe_block_${op}_seconds_total`, labels };
  if (what === 'merged' || what === 'failed' || what === 'invalid') return { name: `qmpipe_block_${op}_${what}_requests_total`, labels };
  return null;
}

function netName(ifname: string, rest: string[]): PromName | null {
  const dir = NET_DIR[rest[0] ?? ''];
  const what = NET_WHAT[rest[1] ?? ''];
  if (!dir || !what || rest.length !== 2) return null;
  return { name: `qmpipe_net_${dir}_${what}_total`, labels: [['interface', ifname]] };
}

/** vm.<stat>, vcpu.<n>.<stat>, their histograms' <hist>.p50/p90/p99, other providers' vm.<provider>.<stat>. */
function statsName(scope: 'vm' | 'vcpu', labels: Array<[string, string]>, rest: string[], unit: string, counter: boolean): PromName | null {
  if (rest.length === 0) return null;
  const q = QUANTILE[rest[rest.length - 1]!];
  if (q && rest.length >= 2) return { name: `qmpipe_${scope}_${withUnit(rest.slice(0, -1).join('_'), unit)}`, labels: [...labels, ['quantile', q]] };
  const base = withUnit(rest.join('_'), counter ? unit.replace(/\/s$/, '') : unit);
  return { name: `qmpipe_${scope}_${base}${counter ? '_total' : ''}`, labels };
}

/**
 * The Prometheus name and labels of one core series. `counter`: the value is a
 * cumulative count (a Point of type counter), named `_total`; otherwise a gauge.
 * Null for a series with no mapping (counted by the caller, never guessed).
 */
export function promName(series: string, unit: string, counter: boolean): PromName | null {
  const [scope, ...rest] = series.split('.');
  if (scope === 'block' && rest.length >= 2) return blockName(rest[0]!, rest.slice(1), unit, counter);
  if (scope === 'net' && rest.length >= 3) return counter ? netName(rest[0]!, rest.slice(1)) : null;
  if (scope === 'vcpu' && rest.length >= 2 && /^\d+$/.test(rest[0]!)) return statsName('vcpu', [['vcpu', rest[0]!]], rest.slice(1), unit, counter);
  if (scope === 'vm') return statsName('vm', [], rest, unit, counter);
  if (scope === 'cpu' && rest.length === 1 && counter) {
    const name = CPU_NAMES.get(rest[0]!);
    return name ? { name, labels: [] } : null;
  }
  if (scope === 'balloon') return balloonName(rest, unit, counter);
  if (scope === 'state' && rest.length === 1 && !counter) {
    const name = STATE_NAMES.get(rest[0]!);
    return name ? { name, labels: [] } : null;
  }
  return null;
}
