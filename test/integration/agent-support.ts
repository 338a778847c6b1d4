/**
 * Shared by the agent's integration tests: an agent config for the local stack with
 * random topics and a temporary spool dir, and a raw-topic reader that decodes every
 * record with the single-object codec (as any consumer would).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { loadAgentConfig, type AgentConfig } from '#schemas/config/agent.js';
import { decodeRaw } from '#schemas/codecs/raw.js';
import type { RawRecord } from '#schemas/types.js';
import { consumeUntil, kafkaClient, randomName, stack } from './helpers/index.js';

/** Temporary spool dirs of this test process, removed when it exits. */
const spoolDirs: string[] = [];
process.once('exit', () => spoolDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempSpoolDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'it-spool-'));
  spoolDirs.push(d);
  return d;
}

export function agentConfig(
  over: {
    sockets?: Array<{ path: string }>;
    globs?: string[];
    fastIntervalMs?: number;
    slowIntervalMs?: number;
    spool?: Record<string, unknown>;
    kafka?: Record<string, unknown>;
    qmp?: Record<string, unknown>;
  } = {},
): AgentConfig {
  return loadAgentConfig({
    raw: {
      host: 'it-host',
      vms: { sockets: over.sockets ?? [], globs: over.globs ?? [], rescanIntervalMs: 500 },
      qmp: {
        commandTimeoutMs: 1000,
        handshakeTimeoutMs: 1000,
        staleAfterMissedTicks: 2,
        reconnect: { initialRetryTime: 200, maxRetryTime: 2000 },
        ...over.qmp,
      },
      sampling: { fastIntervalMs: over.fastIntervalMs ?? 1000, slowIntervalMs: over.slowIntervalMs ?? 2000 },
      kafka: {
        brokers: stack().kafkaBrokers,
        rawTopic: randomName('it-raw'),
        schemaTopic: randomName('it-schemas'),
        // The agent creates its topics here (off by default): replication factor 1 on the single-broker stack.
        createTopics: 'on',
        replicationFactor: 1,
        partitions: 3,
        lingerMs: 20,
        requestTimeoutMs: 5000,
        connectionTimeoutMs: 1000,
        ...over.kafka,
      },
      spool: { dir: tempSpoolDir(), ...over.spool },
      metrics: { listen: '127.0.0.1:0' },
      drainTimeoutMs: 15_000,
    },
  });
}

export function decodeAll(messages: KafkaMessage[]): RawRecord[] {
  return messages.map((m) => decodeRaw(m.value!));
}

/** Waits until the agent has created `topic` (it does so in the background on start). */
export async function waitForTopic(topic: string, timeoutMs = 60_000): Promise<void> {
  const admin = kafkaClient('qmpipe-it-agent-admin').admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (!(await admin.listTopics()).includes(topic)) {
      if (Date.now() > deadline) throw new Error(`topic ${topic} not created within ${timeoutMs} ms`);
      await sleep(200);
    }
  } finally {
    await admin.disconnect();
  }
}

/** Reads the raw topic until `done(records)` holds. */
export async function readRaw(topic: string, done: (rs: RawRecord[]) => boolean, timeoutMs = 60_000): Promise<RawRecord[]> {
  await waitForTopic(topic, timeoutMs);
  const msgs = await consumeUntil(topic, (ms) => done(decodeAll(ms)), { timeoutMs });
  return decodeAll(msgs);
}

export const kindOf = (r: RawRecord): string =>
  r.body.kind === 'AgentNotice' ? `notice:${r.body.value.kind}` : r.body.kind === 'QmpEvent' ? `event:${r.body.value.event}` : r.body.kind;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** For one VM uuid: are the seqs exactly 0..n-1, each once? */
export function seqReport(rs: RawRecord[], uuid: string): { count: number; max: number; duplicates: number; missing: number } {
  const seqs = rs.filter((r) => r.vm.uuid === uuid).map((r) => r.seq);
  const uniq = new Set(seqs);
  const max = seqs.length ? Math.max(...seqs) : -1;
  return { count: seqs.length, max, duplicates: seqs.length - uniq.size, missing: max + 1 - uniq.size };
}

/** Polls `pred` every 100 ms until it holds or `timeoutMs` passes. */
export async function waitFor(what: string, pred: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}
