/**
 * /healthz on the real broker: the agent's answers 503 with the reason while its Kafka is
 * unreachable (a closed port) and 200 once its publisher is connected; the processor's
 * answers 200 once its consumer is in the group (its unhealthy cases: health.test.ts; a
 * processor that cannot reach Kafka at start fails to start, before serving anything).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentHandle } from '#agent/main.js';
import { silentLogger } from '#common/log.js';
import { startProcessor, type RunningProcessor } from '#processor/runtime/main.js';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { agentConfig } from './agent-support.js';
import { newScenario } from './processor-support.js';

const agents: AgentHandle[] = [];
const processors: RunningProcessor[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop();
  for (const p of processors.splice(0)) await p.stop();
});

async function healthz(port: number): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: res.status, body: await res.text() };
}

/** Polls /healthz until `pred` holds; returns the last answer. */
async function healthzUntil(port: number, pred: (h: { status: number; body: string }) => boolean, timeoutMs = 60_000) {
  let last = await healthz(port);
  const deadline = Date.now() + timeoutMs;
  while (!pred(last)) {
    if (Date.now() > deadline) throw new Error(`/healthz still ${last.status} ${last.body.trim()} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
    last = await healthz(port);
  }
  return last;
}

describe('/healthz', () => {
  it('agent: 503 with the reason while Kafka is unreachable', async () => {
    const base = agentConfig();
    const agent = await startAgent({ ...base, kafka: { ...base.kafka, brokers: ['127.0.0.1:9'], connectionTimeoutMs: 500 }, drainTimeoutMs: 100 });
    agents.push(agent);
    const h = await healthzUntil(agent.metricsPort!, (x) => x.body.includes('not connected'));
    expect(h.status).toBe(503);
    expect(h.body).toMatch(/^unhealthy: Kafka: not connected: .*(ECONNREFUSED|Connection error)/);
    expect(h.body.trim().split('\n')).toHaveLength(1);
  });

  it('agent: 200 once its publisher is connected to the real broker', async () => {
    const agent = await startAgent(agentConfig());
    agents.push(agent);
    expect(await healthzUntil(agent.metricsPort!, (x) => x.status === 200)).toEqual({ status: 200, body: 'ok\n' });
  });

  it('processor: 200 once in its consumer group', async () => {
    const sc = await newScenario('it-healthz', 2);
    const cfg = loadProcessorRuntimeConfig({ raw: { ...sc.cfg, metrics: { listen: '127.0.0.1:0' } } });
    const proc = await startProcessor(cfg, silentLogger);
    processors.push(proc);
    expect(await healthzUntil(proc.metricsPort!, (x) => x.status === 200)).toEqual({ status: 200, body: 'ok\n' });
  });
});
