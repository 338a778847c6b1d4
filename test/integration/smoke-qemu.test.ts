/**
 * Smoke test of the test VM from infra/qemu (one guest boot for the whole file):
 * - QMP over a raw unix socket: greeting, qmp_capabilities, wr_bytes growing in query-blockstats;
 * - the thin-LV failure mode: the guest writes past the loop device, QEMU reports
 *   BLOCK_IO_ERROR {nospace:true, action:stop} + STOP and pauses (io-error); after the device
 *   is grown (truncate + losetup -c) an operator `cont` resumes it and the writes complete;
 * - a KVM VM (no guest boot needed) serves query-stats with the kvm provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until as pollUntil } from './helpers/until.js';
import { machine, QmpTestClient, startTestVm, type TestVm } from './helpers/index.js';

interface BlockStats {
  device: string;
  qdev?: string;
  stats: { wr_bytes: number; failed_wr_operations: number };
  parent?: { stats: { wr_highest_offset: number } };
}
interface NamedNode {
  'node-name': string;
  drv: string;
  image: { 'virtual-size': number };
}

const MiB = 1 << 20;
// The guest writes 16 MiB/s for 12 s (192 MiB) after a 3 s delay onto a 256 MiB qcow2 whose
// loop device holds 96 MiB, so it fills the device after about 6 s of writing.
const RATE = 16;
const SECONDS = 12;
const TOTAL = RATE * SECONDS * MiB;

const m = machine();
let vm: TestVm;
let operator: QmpTestClient;

beforeAll(async () => {
  vm = await startTestVm({ rateMiBps: RATE, seconds: SECONDS, delaySeconds: 3, diskMiB: 256, backingMiB: 96 });
  // Connect before the writes start so no event is missed.
  operator = await QmpTestClient.connect(vm.qmpOperator);
  console.log(`[smoke-qemu] ${vm.name}: ${vm.accel} boot ${vm.bootSeconds}s, disk ${vm.diskMode} ${vm.loopDevice}`);
});

afterAll(async () => {
  operator?.close();
  await vm?.stop();
});

async function blockstats(client: QmpTestClient): Promise<BlockStats> {
  const all = await client.execute<BlockStats[]>('query-blockstats');
  const vda = all.find((b) => b.qdev?.includes('/vda/') || b.device === 'vda');
  if (!vda) throw new Error(`no vda in query-blockstats: ${JSON.stringify(all).slice(0, 300)}`);
  return vda;
}

const until = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => pollUntil(what, probe, timeoutMs);

describe('qemu smoke', () => {
  it('negotiates QMP on the agent socket and sees wr_bytes grow', async () => {
    const agent = await QmpTestClient.connect(vm.qmpAgent);
    try {
      expect(agent.greeting).toMatchObject({ QMP: { version: { qemu: { major: expect.any(Number) } } } });
      const status = await agent.execute<{ status: string }>('query-status');
      expect(['running', 'io-error']).toContain(status.status);
      const seen: number[] = [(await blockstats(agent)).stats.wr_bytes];
      await until('wr_bytes to grow twice', 60_000, async () => {
        const w = (await blockstats(agent)).stats.wr_bytes;
        if (w > seen[seen.length - 1]!) seen.push(w);
        return seen.length >= 3 ? true : undefined;
      });
      console.log(`[smoke-qemu] wr_bytes samples: ${seen.join(' < ')}`);
    } finally {
      agent.close();
    }
  });

  it.skipIf(!m.loop)('pauses on ENOSPC when the loop device fills, resumes after grow + cont', async () => {
    const ioError = await operator.waitForEvent('BLOCK_IO_ERROR', (e) => e.data?.nospace === true, 90_000);
    expect(ioError.data).toMatchObject({ operation: 'write', action: 'stop', nospace: true });
    await operator.waitForEvent('STOP', () => true, 10_000);
    expect(await operator.execute('query-status')).toMatchObject({ status: 'io-error', running: false });
    const block = await operator.execute<Array<{ qdev: string; 'io-status'?: string }>>('query-block');
    expect(block.find((b) => b.qdev.includes('vda'))?.['io-status']).toBe('nospace');
    const paused = await blockstats(operator);
    expect(paused.stats.wr_bytes).toBeLessThan(vm.backingMiB * MiB);
    expect(paused.parent?.stats.wr_highest_offset).toBeGreaterThan(80 * MiB);

    const eventsBefore = operator.events.length;
    await vm.grow(320);
    await operator.execute('cont');
    await operator.waitForEvent('RESUME', () => true, 10_000, eventsBefore);
    const done = await until('the guest to finish writing', 90_000, async () => {
      const s = await blockstats(operator);
      return s.stats.wr_bytes >= TOTAL ? s : undefined;
    });
    expect(await operator.execute('query-status')).toMatchObject({ status: 'running', running: true });
    expect(done.parent?.stats.wr_highest_offset).toBeGreaterThan(TOTAL);
    // Informational: QEMU 7.2 does not re-read a host_device's length after `losetup -c`;
    // the storage node's virtual-size only follows the highest write (libvirt lseeks instead).
    const nodes = await operator.execute<NamedNode[]>('query-named-block-nodes');
    const storage = nodes.find((n) => n['node-name'] === 'lv0-storage');
    console.log(
      `[smoke-qemu] paused at wr_bytes=${paused.stats.wr_bytes}, resumed to ${done.stats.wr_bytes}; ` +
        `storage node virtual-size after grow: ${storage?.image['virtual-size']} (device ${320 * MiB})`,
    );
  });

  if (!m.loop) console.warn(`[smoke-qemu] SKIP ENOSPC test: no loop devices (${m.loopReason})`);
  if (!m.kvm) console.warn(`[smoke-qemu] SKIP KVM query-stats test: ${m.kvmReason}`);

  it.skipIf(!m.kvm)('serves query-stats from a KVM VM (guest boot not required)', async () => {
    const kvmVm = await startTestVm({ accel: 'kvm', noBootWait: true, backingMiB: 16, diskMiB: 32 });
    const client = await QmpTestClient.connect(kvmVm.qmpOperator);
    try {
      type StatsResult = Array<{ provider: string; 'qom-path'?: string; stats: Array<{ name: string; value: unknown }> }>;
      const vmStats = await client.execute<StatsResult>('query-stats', { target: 'vm' });
      expect(vmStats.map((r) => r.provider)).toContain('kvm');
      const vcpu = await client.execute<StatsResult>('query-stats', { target: 'vcpu' });
      expect(vcpu[0]?.['qom-path']).toMatch(/^\/machine\//);
      const schemas = await client.execute<Array<{ provider: string; target: string }>>('query-stats-schemas');
      expect(schemas.map((s) => `${s.provider}/${s.target}`)).toEqual(expect.arrayContaining(['kvm/vm', 'kvm/vcpu']));
      console.log(`[smoke-qemu] KVM VM: ${vmStats[0]!.stats.length} vm stats, ${vcpu[0]!.stats.length} vcpu stats`);
    } finally {
      client.close();
      await kvmVm.stop();
    }
  });
});
