/**
 * Taking an input partition over from a previous owner, against the real broker: the new
 * owner fences the previous one before it reads the partition's checkpoint and committed
 * offset. kafkajs's producer.connect() does not do that (its InitProducerId with the
 * transactional id waits for the first transaction), so these tests show what happens when
 * the previous owner died with a transaction open, or is still alive (a zombie).
 */
import type { Kafka, Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '#common/log.js';
import { checkpointKey, encodeCheckpoint } from '#processor/partition/partitionCheckpoint.js';
import { initialPartitionState } from '#processor/partition/partitionStep.js';
import { takeOwnership, type OwnerSettings, type PartitionOwner } from '#processor/runtime/kafka/partitionOwner.js';
import { commitPartitionTransaction, isFenced, type PartitionTxnMessages } from '#processor/runtime/kafka/transactions.js';
import { ensureProcessorTopics } from '#processor/runtime/kafka/topics.js';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { kafkaClient } from './helpers/index.js';
import { newScenario, type Scenario } from './processor-support.js';

const open: Producer[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.disconnect().catch(() => undefined);
});

async function setup(name: string): Promise<{ kafka: Kafka; s: OwnerSettings; sc: Scenario }> {
  const sc = await newScenario(name, 1);
  const k = loadProcessorRuntimeConfig({ raw: sc.cfg }).kafka;
  const kafka = kafkaClient(`it-${name}`);
  const admin = kafka.admin();
  await admin.connect();
  await ensureProcessorTopics(admin, k);
  await admin.disconnect();
  const s = {
    rawTopic: k.rawTopic,
    checkpointTopic: k.checkpointTopic,
    transactionalIdPrefix: k.transactionalIdPrefix,
    checkpointMaxMessageBytes: k.checkpointMaxMessageBytes,
    groupId: k.groupId,
  };
  return { kafka, s, sc };
}

/** What an owner commits when it has processed everything below `nextOffset` (a checkpoint and the offset). */
function upTo(s: OwnerSettings, nextOffset: number): PartitionTxnMessages {
  return {
    outputs: new Map(),
    checkpoint: {
      topic: s.checkpointTopic,
      partition: 0,
      key: checkpointKey(s.rawTopic, 0),
      value: encodeCheckpoint(initialPartitionState(s.rawTopic, 0, nextOffset)),
    },
    offsets: { groupId: s.groupId, topic: s.rawTopic, partition: 0, nextOffset },
  };
}

async function owned(kafka: Kafka, s: OwnerSettings): Promise<PartitionOwner> {
  const o = await takeOwnership(kafka, s, 0, silentLogger);
  open.push(o.producer);
  return o;
}

describe('taking a partition over (real Kafka)', () => {
  it('from an owner killed with a transaction open: its transaction is aborted at once, the last committed checkpoint is read', async () => {
    const { kafka, s } = await setup('own-dead');
    const a = await owned(kafka, s);
    await commitPartitionTransaction(a.producer, upTo(s, 5));
    // A's next transaction, left open as a SIGKILL would leave it: a checkpoint at 10 and the offset.
    const txn = await a.producer.transaction();
    const m = upTo(s, 10);
    await txn.send({ topic: m.checkpoint!.topic, messages: [{ key: m.checkpoint!.key, value: m.checkpoint!.value, partition: 0 }] });
    await txn.sendOffsets({ consumerGroupId: s.groupId, topics: [{ topic: s.rawTopic, partitions: [{ partition: 0, offset: '10' }] }] });
    const t0 = Date.now();
    const b = await owned(kafka, s);
    const took = Date.now() - t0;
    expect(b.state.nextOffset).toBe(5);
    expect(b.committedOffset).toBe(5);
    expect(took, 'B did not wait for A’s transaction to time out').toBeLessThan(10_000);
    const late = await txn.commit().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isFenced(late), `A's commit after B took over: ${String(late)}`).toBe(true);
    console.log(
      `[processor-ownership] took over from an owner with an open transaction in ${took} ms; its commit afterwards: ${(late as { type?: string }).type}`,
    );
  });

  it('from a checkpoint behind the committed offset: the new owner replays, and its first transaction carries a checkpoint', async () => {
    const { kafka, s, sc } = await setup('own-behind');
    const interval = loadProcessorRuntimeConfig({ raw: sc.cfg }).kafka.checkpointIntervalMs;
    const a = await owned(kafka, s);
    await commitPartitionTransaction(a.producer, upTo(s, 5));
    // A commits on past its checkpoint (no checkpoint due yet), then dies.
    await commitPartitionTransaction(a.producer, { ...upTo(s, 12), checkpoint: null });
    const b = await owned(kafka, s);
    expect([b.state.nextOffset, b.committedOffset]).toEqual([5, 12]);
    expect(Date.now() - b.checkpointedAt, 'a checkpoint is due at once').toBeGreaterThanOrEqual(interval);
    // B's first transaction carries one, at the committed offset: the next owner replays nothing.
    await commitPartitionTransaction(b.producer, upTo(s, 12));
    const c = await owned(kafka, s);
    expect([c.state.nextOffset, c.committedOffset]).toEqual([12, 12]);
    expect(Date.now() - c.checkpointedAt, 'nothing replayed: the next checkpoint is an interval away').toBeLessThan(interval);
  });

  it('from an owner whose only transaction on the partition was aborted: the checkpoint partition holding nothing committed is read at once', async () => {
    // A kill -9 inside the first checkpoint transaction leaves the checkpoint partition with
    // an aborted record and an abort marker, or only the marker: a fetch of it returns
    // nothing kafkajs hands to eachBatch.
    const { kafka, s } = await setup('own-aborted');
    const a = await owned(kafka, s);
    const txn = await a.producer.transaction();
    const m = upTo(s, 10);
    await txn.send({ topic: m.checkpoint!.topic, messages: [{ key: m.checkpoint!.key, value: m.checkpoint!.value, partition: 0 }] });
    await txn.abort();
    const t0 = Date.now();
    const b = await owned(kafka, s);
    const took = Date.now() - t0;
    expect(b.state.nextOffset).toBe(0);
    expect(took, 'B read the checkpoint partition to its end without waiting for the read timeout').toBeLessThan(10_000);
  });

  it('whose checkpoint a newer release wrote: said clearly and counted, the partition goes on from its committed offset with an empty state', async () => {
    const { kafka, s } = await setup('own-newer');
    const a = await owned(kafka, s);
    const m = upTo(s, 7);
    const newer = Buffer.from(m.checkpoint!.value);
    newer[4] = 9; // the partition checkpoint's format version: one this release does not know
    await commitPartitionTransaction(a.producer, { ...m, checkpoint: { ...m.checkpoint!, value: newer } });
    const lines: string[] = [];
    let unusable = 0;
    const b = await takeOwnership(kafka, s, 0, createLogger({}, { level: 'error', write: (l) => lines.push(l) }), () => unusable++);
    open.push(b.producer);
    expect(b.state.nextOffset).toBe(7);
    expect(b.committedOffset).toBe(7);
    expect(b.state.core.vms).toEqual({});
    expect(unusable).toBe(1);
    expect(lines.join('')).toMatch(/checkpoint unusable by this release.*has version 9, this build reads 1/);
  });

  it('from a live previous owner (a zombie): once the new owner holds the partition, the old one can no longer commit', async () => {
    const { kafka, s } = await setup('own-zombie');
    const a = await owned(kafka, s);
    await commitPartitionTransaction(a.producer, upTo(s, 5));
    const b = await owned(kafka, s);
    expect(b.committedOffset).toBe(5);
    // A, unaware, processes 5..9 and commits: outputs B will publish too, if A is not fenced.
    const late = await commitPartitionTransaction(a.producer, upTo(s, 10)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isFenced(late), `A's commit after B took over: ${String(late)}`).toBe(true);
    await commitPartitionTransaction(b.producer, upTo(s, 10));
  });
});
