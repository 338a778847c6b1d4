/**
 * Issue #13, item 1, against a real QEMU and the real broker: the agent's own restart is
 * not a QEMU restart. A VM paused on ENOSPC (qcow2 on a full loop device, werror=enospc)
 * while the agent stops and a new agent process-equivalent starts on the same socket:
 * every record carries one instance id, the processor core (run over the records read
 * back from Kafka) keeps `paused-enospc` firing with no resolve, and the block rates go
 * on through the restart interval. (QEMU restarted with the same uuid gets a new id:
 * agent-faults.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentHandle } from '#agent/main.js';
import { ProcessorConfig } from '#schemas/config/processor.js';
import type { Alert, Rate } from '#schemas/outputs.js';
import type { RawRecord } from '#schemas/types.js';
import { initialState } from '#processor/core/state/state.js';
import { createCore } from '#processor/core/step.js';
import { machine, QmpTestClient, startTestVm } from './helpers/index.js';
import { agentConfig, readRaw, waitFor } from './agent-support.js';

const m = machine();
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch((e: unknown) => console.error('[agent-identity] cleanup:', e));
});

async function agentUp(cfg: ReturnType<typeof agentConfig>): Promise<AgentHandle> {
  const agent = await startAgent(cfg);
  let stopped = false;
  const stop = agent.stop.bind(agent);
  agent.stop = async () => {
    if (stopped) return;
    stopped = true;
    await stop();
  };
  cleanup.push(() => agent.stop());
  return agent;
}

const queuedOf = (a: AgentHandle): number =>
  ['Sample', 'QmpEvent', 'AgentNotice', 'StatsSchemaSnapshot'].reduce((n, k) => n + a.telemetry.recordsQueued.value({ kind: k }), 0);

if (!m.loop) console.warn(`[agent-identity] SKIP: no loop devices, so no ENOSPC pause (${m.loopReason})`);

describe('agent restart while the VM is paused on ENOSPC', () => {
  it.skipIf(!m.loop)('keeps the instance id: paused-enospc keeps firing with no resolve, rates go on', async () => {
    // 16 MiB/s after a 1 s delay onto a 48 MiB loop device: paused a few seconds after boot.
    const vm = await startTestVm({ rateMiBps: 16, seconds: 60, delaySeconds: 1, diskMiB: 256, backingMiB: 48 });
    cleanup.push(() => vm.stop());
    const operator = await QmpTestClient.connect(vm.qmpOperator);
    cleanup.push(async () => operator.close());
    const cfg = agentConfig({ sockets: [{ path: vm.qmpAgent }] });

    const first = await agentUp(cfg);
    await operator.waitForEvent('STOP', () => true, 120_000);
    expect(await operator.execute('query-status')).toMatchObject({ status: 'io-error' });
    const pausedAt = first.telemetry.polls.value({ vm: vm.name });
    await waitFor('two samples of the paused VM', () => first.telemetry.polls.value({ vm: vm.name }) >= pausedAt + 2, 30_000);
    await first.stop(); // closes the QMP connection, drains the spool to Kafka
    const second = await agentUp(cfg); // same socket, config and spool dir: a restarted agent
    await waitFor('three samples after the restart', () => second.telemetry.polls.value({ vm: vm.name }) >= 3, 30_000);
    await second.stop();
    expect(await operator.execute('query-status')).toMatchObject({ status: 'io-error' }); // paused throughout

    const expected = queuedOf(first) + queuedOf(second);
    const rs = (await readRaw(cfg.kafka.rawTopic, (rs) => rs.filter((r) => r.vm.uuid === vm.uuid).length >= expected)).filter((r) => r.vm.uuid === vm.uuid);
    expect(rs).toHaveLength(expected);
    const ids = [...new Set(rs.map((r) => r.vm.instanceId))];

    // The processor core over the records as consumed (one VM: one partition, in order).
    // A wide gap allowance: this test is about the instance, not about how long a restart takes.
    const core = createCore(ProcessorConfig.parse({ rates: { gapMultiple: 30 } }), { emitRates: true });
    const state = initialState();
    const alerts: Alert[] = [];
    const rates: Rate[] = [];
    for (const r of rs) {
      const out = core.step(state, [r]).outputs;
      alerts.push(...out.alerts);
      rates.push(...out.rates);
    }
    const restartAt = rs.findIndex((r, i) => i > 0 && r.body.kind === 'AgentNotice' && r.body.value.kind === 'connected');
    const sampleTimes = (from: number, to: number) => rs.slice(from, to).flatMap((r: RawRecord) => (r.body.kind === 'Sample' ? [r.t] : []));
    const lastBefore = sampleTimes(0, restartAt).at(-1)!;
    const firstAfter = sampleTimes(restartAt, rs.length)[0]!;
    const seriesAt = (t: number) => new Set(rates.filter((x) => x.t === t && x.series.startsWith('block.')).map((x) => x.series));
    const pausedAlerts = alerts.filter((a) => a.type === 'paused-enospc').map((a) => `${a.state}: ${a.message}`);
    console.log(
      `[agent-identity] ${rs.length} records, instance ids ${ids.join(', ')}; restart gap ${firstAfter - lastBefore} ms; ` +
        `block rates at the last sample before ${seriesAt(lastBefore).size}, at the first after ${seriesAt(firstAfter).size}; ` +
        `paused-enospc: ${pausedAlerts.join(' | ')}; resets counted ${JSON.stringify(state.counters)}`,
    );
    expect(ids).toHaveLength(1);
    expect(pausedAlerts).toHaveLength(1);
    expect(pausedAlerts[0]).toMatch(/^firing/);
    expect(seriesAt(lastBefore).size).toBeGreaterThan(0);
    expect(seriesAt(firstAfter)).toEqual(seriesAt(lastBefore));
    const wr = rates.find((x) => x.t === firstAfter && x.series === 'block.vda.wr.bytes');
    expect(wr?.value).toBe(0); // paused: nothing written across the restart, and a rate, not a reset
  });
});
