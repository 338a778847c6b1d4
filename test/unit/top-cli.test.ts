/**
 * `qmpipe top --replay FILE --once --json` on the shared fixtures, against the other
 * tools at the same moment (the transcript's end): chain rows equal `qmpipe domstats
 * --backing`, firing alerts equal those `qmpipe replay` left open, rates equal its
 * last rate lines.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import { parseDomstats } from '#tools/domstats/domstats.js';
import { run as domstats } from '#tools/domstats/command.js';
import { run as replay } from '#tools/replay/command.js';
import { run as top } from '#top/command.js';
import type { Frame } from '#top/model/frame.js';

let stdout = '';
beforeEach(() => {
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

async function capture(run: (argv: string[]) => Promise<number>, argv: string[]): Promise<string> {
  stdout = '';
  expect(await run(argv)).toBe(0);
  return stdout;
}

interface ChainKey {
  device: string;
  backingIndex: number;
  allocation?: number;
  capacity?: number;
  physical?: number;
}

/** domstats --backing records → chain rows (the keys it prints). */
function domstatsChain(text: string): ChainKey[] {
  const kv = parseDomstats(text);
  const out: ChainKey[] = [];
  for (let i = 0; i < Number(kv['block.count']); i++) {
    const p = `block.${i}.`;
    if (kv[`${p}backingIndex`] === undefined) continue;
    const row: ChainKey = { device: kv[`${p}name`]!, backingIndex: Number(kv[`${p}backingIndex`]) };
    for (const f of ['allocation', 'capacity', 'physical'] as const) if (kv[p + f] !== undefined) row[f] = Number(kv[p + f]);
    out.push(row);
  }
  return out;
}

/** The frame's chain rows with domstats' presence rules (capacity and physical only when > 0). */
function frameChain(f: Frame): ChainKey[] {
  return f.vms[0]!.disks.flatMap((d) =>
    d.chain.map((e) => {
      const row: ChainKey = { device: d.device, backingIndex: e.backingIndex };
      if (e.allocation !== null) row.allocation = e.allocation;
      if (e.capacity !== null && e.capacity > 0) row.capacity = e.capacity;
      if (e.physical !== null && e.physical > 0) row.physical = e.physical;
      return row;
    }),
  );
}

interface AlertLine {
  kind: string;
  type: string;
  state: string;
  device: string;
  backingIndex: number | null;
  node: string;
  series?: string;
  value?: number;
  t?: number;
}

/** Alerts still firing at the end of `qmpipe replay`, as (type, device, backingIndex, node). */
/** The alerts left firing, as [type, device, backingIndex, node] of their last transition (an alert follows its image down the chain: not keyed by position). */
function openAlerts(lines: AlertLine[]): string[] {
  const open = new Map<string, AlertLine>();
  for (const l of lines.filter((x) => x.kind === 'alert')) {
    const key = JSON.stringify([l.type, l.device, l.node]);
    if (l.state === 'firing') open.set(key, l);
    else open.delete(key);
  }
  return [...open.values()].map((l) => JSON.stringify([l.type, l.device, l.backingIndex, l.node])).sort();
}

describe.each(['thin-lv-enospc-commit.jsonl', 'kvm-vcpu-stats.jsonl'])('qmpipe top --replay %s --once --json', (name) => {
  const file = fixturePath('qmp', name);
  let frame: Frame;
  let replayLines: AlertLine[];

  beforeEach(async () => {
    frame = JSON.parse(await capture(top, ['--replay', file, '--once', '--json'])) as Frame;
    replayLines = (await capture(replay, [file]))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AlertLine);
  });

  it('prints one frame object with the contract keys', () => {
    expect(Object.keys(frame)).toEqual(['t', 'vms']);
    const vm = frame.vms[0]!;
    for (const k of ['vm', 'host', 'state', 'disks', 'firing']) expect(vm).toHaveProperty(k);
    for (const k of ['backingIndex', 'node', 'allocation', 'capacity', 'physical']) expect(vm.disks[0]!.chain[0]).toHaveProperty(k);
    // The frame's moment is the newest record (a sample or a later event), the replay's last output at most a poll before.
    const lastOutput = Math.max(...replayLines.map((l) => l.t ?? 0));
    expect(frame.t! - lastOutput).toBeGreaterThanOrEqual(0);
    expect(frame.t! - lastOutput).toBeLessThan(2_000);
  });

  it('has the chain rows qmpipe domstats --backing prints for the same moment', async () => {
    const want = domstatsChain(await capture(domstats, [file, '--backing']));
    expect(want.length).toBeGreaterThan(0);
    expect(frameChain(frame)).toEqual(want);
  });

  it('has the alerts qmpipe replay left firing', () => {
    const firing = frame.vms.flatMap((v) => v.firing.map((f) => JSON.stringify([f.type, f.device, f.backingIndex, f.node]))).sort();
    expect(firing).toEqual(openAlerts(replayLines));
  });

  it("sums the core's last rates", () => {
    const lastT = Math.max(...replayLines.filter((l) => l.kind === 'rate').map((l) => l.t!));
    const last = new Map<string, number>();
    for (const l of replayLines) if (l.kind === 'rate' && l.t === lastT) last.set(l.series!, l.value!);
    expect(last.size).toBeGreaterThan(3);
    const sumOf = (re: RegExp) => [...last].filter(([s]) => re.test(s)).reduce((a, [, v]) => a + v, 0);
    const vm = frame.vms[0]!;
    if (last.has('block.vda.wr.bytes')) expect(vm.writeBytesPerSecond).toBe(last.get('block.vda.wr.bytes'));
    if (vm.vcpuCount > 0) expect(vm.exitsPerSecond).toBeCloseTo(sumOf(/^vcpu\.\d+\.exits$/), 9);
  });
});

describe('qmpipe top on the thin-LV fixture: values', () => {
  it('shows the fullest element: the base over its 160 MiB LV, full', async () => {
    const f = JSON.parse(await capture(top, ['--replay', fixturePath('qmp', 'thin-lv-enospc-commit.jsonl'), '--once', '--json'])) as Frame;
    expect(f.vms[0]!.fullest).toMatchObject({ device: 'vda', backingIndex: 1, node: 'lv0-format', timeToFullSeconds: 0 });
    expect(f.vms[0]!.fullest!.fill).toBeCloseTo(173342720 / 167772160, 12);
    expect(f.vms[0]!.firing.map((a) => a.type)).toEqual(['time-to-full', 'watermark', 'threshold-crossed']);
  });

  it.each(['thin-lv-enospc-commit.jsonl', 'kvm-vcpu-stats.jsonl'])(
    '%s ends in SHUTDOWN (quit): the VM shows shutdown, not the running of its last Sample',
    async (name) => {
      const f = JSON.parse(await capture(top, ['--replay', fixturePath('qmp', name), '--once', '--json'])) as Frame;
      expect(f.vms[0]!.events.some((e) => e.event === 'SHUTDOWN')).toBe(true);
      expect(f.vms.map((v) => v.state)).toEqual(['shutdown']);
    },
  );

  it('--kafka --once --timeout 2 on an unreachable broker fails within the timeout, in one line', async () => {
    // Was 7.3 s: the timeout did not reach the Kafka source, and kafkajs retried on.
    let stderr = '';
    vi.mocked(process.stderr.write).mockImplementation((s) => {
      stderr += String(s);
      return true;
    });
    const started = performance.now();
    expect(await top(['--kafka', '--once', '--timeout', '2', '--brokers', '127.0.0.1:9'])).toBe(1);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(stderr.split('\n').filter((l) => l.startsWith('qmpipe top:'))).toEqual([
      'qmpipe top: cannot read the end offsets of qmpipe.rates, qmpipe.alerts: Connection error: connect ECONNREFUSED 127.0.0.1:9 (gave up)',
    ]);
  });

  it('refuses two sources, and --domain without --libvirt', async () => {
    expect(await top(['--replay', 'x', '--kafka', '--once'])).toBe(2);
    expect(await top(['--libvirt', 'qemu:///system', '--replay', 'x', '--once'])).toBe(2);
    expect(await top(['--replay', 'x', '--domain', 'vm1', '--once'])).toBe(2);
  });
});
