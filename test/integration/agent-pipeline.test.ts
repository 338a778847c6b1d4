/**
 * The agent against the real test VM and Kafka broker from infra/: it samples the VM,
 * a consumer decodes the Avro records from the raw topic; wr_bytes and the allocation of
 * backingIndex 0 grow while the guest writes; the BLOCK_IO_ERROR/STOP pair arrives when
 * the loop device fills; SIGTERM-style stop drains everything (seq 0..n-1, no gaps).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentHandle } from '#agent/main.js';
import { decodeRaw } from '#schemas/codecs/raw.js';
import { parseSentAt, SENT_AT_HEADER } from '#schemas/codecs/sentAt.js';
import type { QmpEvent, Sample } from '#schemas/types.js';
import { consumeUntil, machine, startTestVm, type TestVm } from './helpers/index.js';
import { agentConfig, kindOf, readRaw, seqReport, sleep, waitFor } from './agent-support.js';

const m = machine();
let vm: TestVm;
let agent: AgentHandle | undefined;
const cfg = (() => ({ value: undefined as ReturnType<typeof agentConfig> | undefined }))();

beforeAll(async () => {
  // 16 MiB/s for 12 s after 3 s onto a 96 MiB loop device: fills it after ~6 s of writing.
  vm = await startTestVm({ rateMiBps: 16, seconds: 12, delaySeconds: 3, diskMiB: 256, backingMiB: 96 });
  cfg.value = agentConfig({ sockets: [{ path: vm.qmpAgent }] });
  agent = await startAgent(cfg.value);
  // Topics are created by the agent in the background: wait for its first acknowledged record.
  await waitFor('first record in Kafka', () => agent!.telemetry.recordsPublished.value() > 0, 60_000);
  console.log(`[agent-pipeline] ${vm.name} ${vm.accel} disk=${vm.diskMode} raw=${cfg.value.kafka.rawTopic}`);
});

afterAll(async () => {
  await agent?.stop();
  await vm?.stop();
});

const samplesOf = (rs: ReturnType<typeof decodeRaw>[]): Sample[] => rs.filter((r) => r.body.kind === 'Sample').map((r) => r.body.value as Sample);

describe('agent → Kafka with the real test VM', () => {
  it('publishes its writer schema to the compacted schema topic, keyed by fingerprint', async () => {
    const msgs = await consumeUntil(cfg.value!.kafka.schemaTopic, (ms) => ms.length >= 1, { timeoutMs: 30_000 });
    expect(msgs[0]!.key!.toString()).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.parse(msgs[0]!.value!.toString()).name).toBe('qmpipe.raw.RawRecord');
  });

  it('stamps every raw message with its send time by the agent’s clock (qmpipe-sent-at), after the record’s own time', async () => {
    const msgs = await consumeUntil(cfg.value!.kafka.rawTopic, (ms) => ms.length >= 5, { timeoutMs: 30_000 });
    for (const m of msgs) {
      const sentAt = parseSentAt(m.headers?.[SENT_AT_HEADER] as Buffer | undefined);
      const rec = decodeRaw(m.value!);
      expect(sentAt).toBeGreaterThanOrEqual(rec.t);
      expect(sentAt! - rec.t).toBeLessThan(60_000);
      expect(Math.abs(sentAt! - Number(m.timestamp))).toBeLessThan(60_000);
    }
  });

  it('samples the VM: identity, wr_bytes and backingIndex 0 allocation grow', async () => {
    const rs = await readRaw(
      cfg.value!.kafka.rawTopic,
      (rs) => {
        const ss = samplesOf(rs);
        const wr = ss.map((s) => s.blockDevices[0]?.counters.wrBytes ?? 0);
        return ss.length >= 4 && wr.at(-1)! > wr[0]! + 8 * 2 ** 20;
      },
      90_000,
    );
    expect(rs[0]!.vm).toMatchObject({ host: 'it-host', uuid: vm.uuid, name: vm.name });
    expect(rs[0]!.vm.qemuVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(kindOf(rs[0]!)).toBe('notice:connected');
    const ss = samplesOf(rs);
    const vda = ss.map((s) => s.blockDevices.find((d) => d.dev === 'vda' || d.qdev?.includes('vda')));
    expect(vda.every((d) => d !== undefined)).toBe(true);
    const wr = vda.map((d) => d!.counters.wrBytes);
    expect(wr).toEqual([...wr].sort((a, b) => a - b));
    const alloc = vda.map((d) => d!.chain.find((c) => c.backingIndex === 0)?.allocation ?? 0);
    expect(alloc.at(-1)!).toBeGreaterThan(alloc[0]!);
    const top = vda.at(-1)!.chain[0]!;
    expect(top).toMatchObject({ formatNode: 'lv0-format', storageNode: 'lv0-storage', formatDriver: 'qcow2' });
    if (vm.diskMode === 'loop')
      expect(top).toMatchObject({ storageDriver: 'host_device', physical: vm.backingMiB * 2 ** 20, physicalSource: 'HOST_DEVICE_SIZE' });
  });

  it.skipIf(!m.loop)(`a BLOCK_IO_ERROR(nospace)/STOP pair arrives when the device fills (needs loop devices: ${m.loopReason})`, async () => {
    const rs = await readRaw(
      cfg.value!.kafka.rawTopic,
      (rs) => rs.some((r) => kindOf(r) === 'event:STOP') && samplesOf(rs).some((s) => s.blockDevices[0]?.ioStatus === 'nospace'),
      90_000,
    );
    const kinds = rs.map(kindOf);
    const ioErr = rs.find((r) => kindOf(r) === 'event:BLOCK_IO_ERROR')!;
    expect(JSON.parse((ioErr.body.value as QmpEvent).data)).toMatchObject({ nospace: true, action: 'stop', operation: 'write' });
    expect(kinds.indexOf('event:STOP')).toBeGreaterThan(kinds.indexOf('event:BLOCK_IO_ERROR'));
    const paused = rs.find((r) => r.body.kind === 'Sample' && (r.body.value as Sample).status === 'io-error')!;
    expect(paused.seq).toBeGreaterThan(rs.find((r) => kindOf(r) === 'event:STOP')!.seq);
    // io-status comes from query-block (slow group): it follows within one slow interval
    expect(
      samplesOf(rs)
        .filter((x) => x.blockDevices[0]!.ioStatus === 'nospace')
        .every((x) => x.status === 'io-error'),
    ).toBe(true);
  });

  it('serves /metrics with polls and published records', async () => {
    const text = await (await fetch(`http://127.0.0.1:${agent!.metricsPort}/metrics`)).text();
    expect(text).toMatch(/qmpipe_agent_polls_total\{vm="[^"]+"\} [1-9]/);
    expect(text).toMatch(/qmpipe_agent_records_published_total [1-9]/);
    expect(text).toContain('qmpipe_agent_qmp_latency_seconds_bucket{command="query-status",le="0.001"}');
  });

  it('stop() drains: every record queued arrives exactly once, seq 0..n-1', async () => {
    await sleep(1500);
    const queued = agent!.telemetry.recordsQueued;
    await agent!.stop();
    const total = ['Sample', 'QmpEvent', 'AgentNotice', 'StatsSchemaSnapshot'].reduce((n, k) => n + queued.value({ kind: k }), 0);
    agent = undefined;
    const rs = await readRaw(cfg.value!.kafka.rawTopic, (rs) => rs.length >= total, 60_000);
    expect(seqReport(rs, vm.uuid)).toEqual({ count: total, max: total - 1, duplicates: 0, missing: 0 });
  });
});
