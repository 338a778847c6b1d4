/**
 * Issue #13, item 4, against a real QEMU: a live snapshot onto a qcow2 file while the
 * guest writes, with the agent at the default 10 s slow interval. The first sample with
 * the new top image must name its file (not the previous top's loop device), and the
 * file's physical size (its allocation, stat on the host) must follow the writes every
 * second rather than once per slow interval.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent } from '#agent/main.js';
import type { Sample } from '#schemas/types.js';
import { QmpTestClient, startTestVm } from './helpers/index.js';
import { agentConfig, readRaw, sleep, waitFor } from './agent-support.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch((e: unknown) => console.error('[agent-topology] cleanup:', e));
});

describe('live snapshot at the default slow interval', () => {
  it('the new top image is named at once and its physical size follows the writes every tick', async () => {
    // 4 MiB/s for 60 s onto a 256 MiB qcow2 on a 320 MiB loop device: no ENOSPC here.
    const vm = await startTestVm({ rateMiBps: 4, seconds: 60, delaySeconds: 1, diskMiB: 256, backingMiB: 320 });
    cleanup.push(() => vm.stop());
    const dir = mkdtempSync(join(tmpdir(), 'it-overlay-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const overlay = join(dir, 'top.qcow2');
    const operator = await QmpTestClient.connect(vm.qmpOperator);
    cleanup.push(async () => operator.close());
    const cfg = agentConfig({ sockets: [{ path: vm.qmpAgent }], slowIntervalMs: 10_000 });
    const agent = await startAgent(cfg);
    let stopped = false;
    cleanup.push(async () => {
      if (!stopped) await agent.stop();
    });
    await waitFor('two samples', () => agent.telemetry.polls.value({ vm: vm.name }) >= 2, 60_000);
    await sleep(2500); // off the slow grid point of the first tick
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', overlay, '256M']);
    await operator.execute('blockdev-add', { driver: 'file', filename: overlay, 'node-name': 'top-storage' });
    await operator.execute('blockdev-add', { driver: 'qcow2', file: 'top-storage', 'node-name': 'top-format', backing: null });
    await operator.execute('blockdev-snapshot', { node: 'lv0-format', overlay: 'top-format' });
    const snapAt = Date.now();
    await sleep(6000);
    stopped = true;
    await agent.stop();

    const rs = await readRaw(cfg.kafka.rawTopic, (rs) => rs.some((r) => r.t > snapAt + 5000 && r.body.kind === 'Sample'), 60_000);
    const after = rs.filter((r) => r.body.kind === 'Sample' && r.t > snapAt).map((r) => ({ t: r.t, s: r.body.value as Sample }));
    const tops = after.map(({ t, s }) => ({ t, slow: s.slowRefresh, top: s.blockDevices[0]!.chain[0]! }));
    console.log(
      `[agent-topology] after the snapshot: ${tops.map((x) => `${x.top.formatNode}:${x.top.filename.split('/').pop()}:${x.top.physical}(${x.top.physicalSource})${x.slow ? ':slow' : ''}`).join(' ')}`,
    );
    const first = tops.find((x) => x.top.formatNode === 'top-format')!;
    expect(first.top.filename).toBe(overlay);
    expect(first.top.physicalSource).toBe('ACTUAL_SIZE');
    // Within one slow interval the overlay's physical size changes tick by tick with the writes.
    const within = tops.filter((x) => x.top.formatNode === 'top-format' && x.t < snapAt + 9000);
    expect(within.length).toBeGreaterThanOrEqual(4);
    expect(within.every((x) => x.top.filename === overlay)).toBe(true);
    const physicals = within.map((x) => x.top.physical!);
    expect(new Set(physicals).size).toBeGreaterThanOrEqual(3);
    expect(physicals).toEqual([...physicals].sort((a, b) => a - b));
  });
});
