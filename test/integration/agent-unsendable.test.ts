/**
 * Issue #13, item 2, against the real broker: a record the broker rejects for good does
 * not stop the host. The raw topic is created with max.message.bytes = 16 KiB; the agent
 * samples a real test VM, and one of its Samples is made 40 KB big at the sample-builder
 * seam (agent/src/sample/seam.ts) — a VM with hundreds of disks, an event with a huge
 * payload — so the broker answers MESSAGE_TOO_LARGE for it. Records after it keep
 * arriving; the rejected one is in the dead-letter file, counted, and the VM's consumers
 * are told with a `dead-lettered` notice.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentHandle } from '#agent/main.js';
import { sampleBuilder } from '#agent/sample/sampleBuilder.js';
import type { SampleBuilder } from '#agent/sample/seam.js';
import type { Sample } from '#schemas/types.js';
import { kafkaClient, startTestVm } from './helpers/index.js';
import { agentConfig, kindOf, readRaw, waitFor } from './agent-support.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch((e: unknown) => console.error('[agent-unsendable] cleanup:', e));
});

/** The sample builder, with the `nth` Sample of the connection padded to `bytes` (errors are free text). */
function padNth(nth: number, bytes: number): SampleBuilder<unknown> {
  let n = 0;
  const real = sampleBuilder as SampleBuilder<unknown>;
  return {
    connect: (info, prev) => real.connect(info, prev),
    event: (msg) => real.event(msg),
    build(state, tick) {
      const r = real.build(state, tick);
      if (++n !== nth) return r;
      const pad = Array.from({ length: Math.ceil(bytes / 100) }, (_, i) => `padding ${i} `.padEnd(100, '.'));
      return { ...r, sample: { ...r.sample, errors: [...r.sample.errors, ...pad] } satisfies Sample };
    },
  };
}

describe('a record the broker rejects for good', () => {
  it('goes to the dead-letter file; the records after it keep arriving', async () => {
    const vm = await startTestVm({ noBootWait: true, seconds: 0 });
    cleanup.push(() => vm.stop());
    const cfg = agentConfig({ sockets: [{ path: vm.qmpAgent }], kafka: { compression: 'none' } });
    const admin = kafkaClient('it-unsendable-admin').admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: cfg.kafka.rawTopic, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: '16384' }] }],
      waitForLeaders: true,
    });
    await admin.disconnect();

    const agent: AgentHandle = await startAgent(cfg, { builder: padNth(4, 40_000) });
    let stopped = false;
    cleanup.push(async () => {
      if (!stopped) await agent.stop();
    });
    await waitFor('eight samples', () => agent.telemetry.polls.value({ vm: vm.name }) >= 8, 60_000);

    // Every sample after the rejected one reaches the topic (before the fix the publisher
    // re-sent the rejected batch forever and nothing after it ever arrived).
    const rs = await readRaw(cfg.kafka.rawTopic, (rs) => rs.filter((r) => r.body.kind === 'Sample').length >= 7, 30_000);
    stopped = true;
    await agent.stop();
    const samples = rs.filter((r) => r.body.kind === 'Sample');
    const seqs = rs.map((r) => r.seq).sort((a, b) => a - b);
    const missing = Array.from({ length: seqs.at(-1)! + 1 }, (_, i) => i).filter((i) => !seqs.includes(i));
    console.log(`[agent-unsendable] ${rs.length} records read, kinds ${rs.map(kindOf).join(' ')}; missing seqs ${missing.join(',')}`);
    expect(samples.every((r) => (r.body.value as Sample).errors.length < 100)).toBe(true);
    expect(missing).toHaveLength(1); // the rejected Sample, and only it

    const deadLettered = agent.telemetry.deadLettered.value({ reason: 'MESSAGE_TOO_LARGE' });
    expect(deadLettered).toBe(1);
    const file = readFileSync(join(cfg.spool.dir!, 'dead-letter.jsonl'), 'utf8').trim().split('\n');
    expect(file).toHaveLength(1);
    const dl = JSON.parse(file[0]!) as { key: string; reason: string; bytes: number; value: string };
    expect(dl).toMatchObject({ key: vm.uuid, reason: 'MESSAGE_TOO_LARGE' });
    expect(dl.bytes).toBeGreaterThan(40_000);
    expect(Buffer.from(dl.value, 'base64')).toHaveLength(dl.bytes);
    // The VM's consumers learn why its seq has a gap.
    const notice = rs.find((r) => r.body.kind === 'AgentNotice' && r.body.value.kind === 'dead-lettered');
    expect(notice?.body.value).toMatchObject({ count: 1 });
    expect(missing[0]).toBeLessThan(notice!.seq);
  });
});
