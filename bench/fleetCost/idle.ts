/**
 * Idle costs, CPU and wake-ups per second of a process with nothing to do:
 *
 * - `agentIdle`: `qmpipe agent` with zero VMs, connected to the broker, one process per
 *   round, measured after `settleMs` (start-up's JIT, GC and first metadata take ~10 s);
 * - `processorIdle`: one `qmpipe processor` with no records once it has joined its group
 *   and opened a transactional producer per input partition (the connections kafkajs
 *   2.2.4 would spin on without the request-queue guard).
 */
import kafkajs from 'kafkajs';
import { processorTopics, spawnProcessorChild } from '../processorChild.js';
import type { BenchStack } from '../stack.js';
import type { AgentChild } from './agentChild.js';
import { delta, sleep, snapshot, type ProcDelta } from './procfs.js';

export async function processorIdle(s: BenchStack, partitions: number, settleMs: number, windowMs: number, windows: number): Promise<ProcDelta[]> {
  const id = `bench-idle-proc-${Date.now()}`;
  const kafka = new kafkajs.Kafka({ brokers: s.brokers, logLevel: kafkajs.logLevel.NOTHING });
  const child = spawnProcessorChild(await processorTopics(s, kafka, id, partitions));
  try {
    await Promise.race([sleep(settleMs), child.exited]);
    const out: ProcDelta[] = [];
    for (let i = 0; i < windows; i++) {
      const a = snapshot(child.pid);
      await Promise.race([sleep(windowMs), child.exited]);
      out.push(delta(a, snapshot(child.pid)));
    }
    return out;
  } finally {
    await child.stop();
  }
}

export async function agentIdle(start: (round: number) => Promise<AgentChild>, settleMs: number, windowMs: number, rounds: number): Promise<ProcDelta[]> {
  const out: ProcDelta[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = await start(r);
    try {
      await sleep(settleMs);
      const s0 = snapshot(a.pid);
      await sleep(windowMs);
      out.push(delta(s0, snapshot(a.pid)));
    } finally {
      await a.stop();
    }
  }
  return out;
}
