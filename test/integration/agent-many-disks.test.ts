/**
 * Issue #13, item 2: a VM with several hundred disks is sampled. A real QEMU with 300
 * small disks (a qcow2 overlay on a qcow2 base each: 1200 named nodes) answers
 * query-blockstats {query-nodes:true} with a ~1.3 MB line, past the default 1 MiB
 * qmp.maxLineBytes: the agent used to treat it as a protocol error and reconnect
 * forever. Default config, real broker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentHandle } from '#agent/main.js';
import { encodeRaw } from '#schemas/codecs/raw.js';
import type { Sample } from '#schemas/types.js';
import { startManyDisksVm } from './helpers/manyDisks.js';
import { agentConfig, readRaw, waitFor } from './agent-support.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch((e: unknown) => console.error('[agent-many-disks] cleanup:', e));
});

describe('a VM with 300 disks', () => {
  it('is sampled: every disk with its two-image chain, without reconnecting', async () => {
    const vm = await startManyDisksVm(300);
    cleanup.push(() => vm.stop());
    const cfg = agentConfig({ sockets: [{ path: vm.qmp }], qmp: { commandTimeoutMs: 5000 } });
    const agent: AgentHandle = await startAgent(cfg);
    let stopped = false;
    cleanup.push(async () => {
      if (!stopped) await agent.stop();
    });
    const label = vm.name;
    try {
      await waitFor('three samples', () => agent.telemetry.polls.value({ vm: label }) >= 3, 60_000);
    } finally {
      console.log(
        `[agent-many-disks] polls ${agent.telemetry.polls.value({ vm: label })}, connects ${agent.telemetry.reconnects.value({ vm: label })}, ` +
          `line limit ${agent.telemetry.lineLimit.value({ vm: label })} bytes`,
      );
    }
    stopped = true;
    await agent.stop();
    const rs = await readRaw(cfg.kafka.rawTopic, (rs) => rs.filter((r) => r.body.kind === 'Sample').length >= 3, 60_000);
    const last = rs.filter((r) => r.body.kind === 'Sample').at(-1)!;
    const sample = last.body.value as Sample;
    console.log(`[agent-many-disks] last Sample: ${encodeRaw(last).length} bytes of Avro`);
    expect(sample.errors).toEqual([]);
    expect(sample.blockDevices).toHaveLength(300);
    expect(sample.blockDevices.every((d) => d.chain.length === 2)).toBe(true);
    expect(sample.blockDevices[0]!.chain.map((c) => c.formatNode)).toEqual(['libvirt-1-format', 'libvirt-2-format']);
    // One reconnect: the first 1.3 MB line raised the limit from 1 to 2 MiB.
    expect(agent.telemetry.reconnects.value({ vm: label })).toBe(2);
    expect(agent.telemetry.lineLimit.value({ vm: label })).toBe(2 << 20);
  });
});
