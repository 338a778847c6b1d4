/**
 * Taps found, not listed (#26): a real QEMU on its own QMP socket with a tap NIC, polled by
 * the agent's poller with no `net` in its target. The Samples carry the tap's counters
 * (guest view: what the host sends into the tap, the guest receives), the processor core
 * makes `net.<tap>.rx.bytes` of them, and a tap hot-plugged later (netdev_add + device_add,
 * no event) is read from the first slow tick after it (sampling.slowIntervalMs).
 *
 * Needs root (QEMU creates the taps) and /dev/net/tun; the taps live in this host's network
 * namespace for the test's duration, with random names, down and without addresses but for
 * the first, which is brought up (IPv6 off) to send it frames.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sysfsReader } from '#agent/host/sysfs.js';
import { VmPoller } from '#agent/poller/vmPoller.js';
import { testPollerOptions } from '#test/support/pollerOptions.js';
import { unixTarget } from '#agent/poller/vmTarget.js';
import { sampleBuilder } from '#agent/sample/sampleBuilder.js';
import { createTelemetry } from '#agent/telemetry.js';
import { initialState } from '#processor/core/state/state.js';
import { createCore } from '#processor/core/step.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import type { RawRecord, Sample } from '#schemas/types.js';
import { QmpTestClient, randomName } from './helpers/index.js';
import { until } from './helpers/until.js';

const run = promisify(execFile);

/** Why taps cannot be made here, or null. */
function tapsUnavailable(): string | null {
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  if (process.getuid?.() !== 0) return 'not root: QEMU cannot create a tap (-netdev tap needs CAP_NET_ADMIN)';
  const probe = `qpp${process.pid % 100000}`;
  try {
    execFileSync('ip', ['tuntap', 'add', 'dev', probe, 'mode', 'tap'], { stdio: 'pipe' });
    execFileSync('ip', ['tuntap', 'del', 'dev', probe, 'mode', 'tap'], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `cannot create a tap here: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
}

const missing = tapsUnavailable();
if (missing) console.log(`[agent-taps] skipped: ${missing}`);

const opts = testPollerOptions({
  host: 'it-host',
  fastIntervalMs: 250,
  slowIntervalMs: 1_000,
  commandTimeoutMs: 2_000,
  connectTimeoutMs: 2_000,
  handshakeTimeoutMs: 2_000,
  staleAfterMissedTicks: 3,
});

/** Sends `count` Ethernet frames of `size` bytes out of `ifname` (the host's tx: the guest's rx). */
function sendFrames(ifname: string, count: number, size: number): void {
  const py = `import socket,sys
s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)
s.bind((sys.argv[1],0))
f=b'\\xff'*6+b'\\x02\\x00\\x00\\x00\\x00\\x01'+b'\\x88\\xb5'+b'q'*(int(sys.argv[3])-14)
for _ in range(int(sys.argv[2])): s.send(f)`;
  execFileSync('python3', ['-c', py, ifname, String(count), String(size)]);
}

describe.skipIf(missing !== null)('the agent finds the taps of a QEMU on its own socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qmpipe-taps-it-'));
  const tapA = `qpa${randomName('').slice(-6)}`;
  const tapB = `qpb${randomName('').slice(-6)}`;
  const agentSock = join(dir, 'vm.qmp');
  const opSock = join(dir, 'op.qmp');
  const records: RawRecord[] = [];
  let pid = 0;
  let op: QmpTestClient | undefined;
  let poller: VmPoller | undefined;

  beforeAll(async () => {
    const pidFile = join(dir, 'qemu.pid');
    await run('qemu-system-x86_64', [
      ...['-name', 'it-taps', '-S', '-nodefaults', '-no-user-config', '-display', 'none', '-accel', 'tcg', '-m', '64'],
      ...['-netdev', `tap,id=n0,ifname=${tapA},script=no,downscript=no`, '-device', 'virtio-net-pci,netdev=n0,id=nic0'],
      ...['-qmp', `unix:${agentSock},server=on,wait=off`, '-qmp', `unix:${opSock},server=on,wait=off`],
      ...['-daemonize', '-pidfile', pidFile],
    ]);
    pid = Number(readFileSync(pidFile, 'utf8').trim());
    op = await QmpTestClient.connect(opSock);
    try {
      execFileSync('sysctl', ['-qw', `net.ipv6.conf.${tapA}.disable_ipv6=1`], { stdio: 'pipe' });
    } catch {
      // no IPv6 here: nothing to turn off
    }
    execFileSync('ip', ['link', 'set', 'dev', tapA, 'up']);
    poller = new VmPoller(unixTarget(agentSock), opts, {
      builder: sampleBuilder,
      sink: { publish: (_k, r) => records.push(r) },
      hostReader: sysfsReader(),
      telemetry: createTelemetry(),
    });
    poller.start();
  }, 60_000);

  afterAll(async () => {
    await poller?.stop();
    op?.close();
    try {
      if (pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(agentSock)) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const samples = () => records.flatMap((r) => (r.body.kind === 'Sample' ? [{ t: r.t, s: r.body.value as Sample }] : []));
  const netOf = (s: Sample, name: string) => s.net.find((n) => n.name === name);

  it('reads the tap behind the NIC without it being configured; the core makes net.<tap>.rx.bytes', async () => {
    const first = await until('a Sample with the tap', () => samples().find((x) => netOf(x.s, tapA))?.s, 20_000);
    expect(first.net.map((n) => n.name)).toEqual([tapA]);
    const before = netOf(first, tapA)!.rxBytes;
    sendFrames(tapA, 10, 100);
    // The guest is stopped (-S): the tap passes what its queue takes (a frame or more) and holds the rest.
    const hostTx = () => Number(readFileSync(`/sys/class/net/${tapA}/statistics/tx_bytes`, 'utf8'));
    await until('the host to send into the tap', () => hostTx() > before);
    const sent = hostTx();
    const after = await until(`a Sample whose rx bytes are the host's tx bytes (${sent})`, () => {
      const x = netOf(samples().at(-1)!.s, tapA);
      return x && x.rxBytes === sent ? x : undefined;
    });
    expect(after.rxBytes - before).toBeGreaterThanOrEqual(100); // at least one 100-byte frame the host sent, the guest received
    expect(after.txBytes).toBe(Number(readFileSync(`/sys/class/net/${tapA}/statistics/rx_bytes`, 'utf8'))); // swapped: the guest view

    const core = createCore(defaultProcessorConfig(), { emitRates: true });
    const state = initialState();
    const series = new Set<string>();
    for (const rec of records) for (const r of core.step(state, [rec]).outputs.rates) series.add(r.series);
    expect(series).toContain(`net.${tapA}.rx.bytes`);
    expect(series).toContain(`net.${tapA}.tx.bytes`);
  }, 60_000);

  it('a tap hot-plugged later is read from the first slow tick after it (no event says so)', async () => {
    const at = Date.now();
    await op!.execute('netdev_add', { type: 'tap', id: 'n1', ifname: tapB, script: 'no', downscript: 'no' });
    await op!.execute('device_add', { driver: 'virtio-net-pci', netdev: 'n1', id: 'nic1' });
    const seen = await until('a Sample with the hot-plugged tap', () => samples().find((x) => x.t >= at && netOf(x.s, tapB)), 20_000);
    expect(seen.s.net.map((x) => x.name)).toEqual([tapA, tapB]);
    // Stated delay: at most one slow interval and a fast tick (plus scheduling slack on a loaded machine).
    expect(seen.t - at).toBeLessThanOrEqual(opts.slowIntervalMs + opts.fastIntervalMs + 1_500);
  }, 60_000);
});
