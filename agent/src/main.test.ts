/**
 * The composition root with a dead broker (connection refused on 127.0.0.1:1) and a VM
 * replayed from the shared fixture: polling goes on, records wait in the spool,
 * /metrics says so, and stop() returns promptly and persists the spool in order.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '#common/log.js';
import { decodeRaw } from '#schemas/codecs/raw.js';
import { loadAgentConfig } from '#schemas/config/agent.js';
import { startAgent } from './main.js';
import { replayServer, type FakeServer } from '#test/support/fakeQmpServer.js';
import { loadFixture } from '#test/support/transcriptLines.js';
import { Spool } from './spool/spool.js';

let srv: FakeServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await srv?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('startAgent with a dead broker', () => {
  it('keeps sampling into the spool, reports it on /metrics, and persists it on stop', async () => {
    srv = await replayServer(loadFixture('kvm-vcpu-stats.jsonl'));
    dir = mkdtempSync(join(tmpdir(), 'agent-main-'));
    const cfg = loadAgentConfig({
      raw: {
        host: 'unit',
        vms: { sockets: [{ path: srv.path }] },
        sampling: { fastIntervalMs: 100, slowIntervalMs: 500 },
        kafka: { brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200, requestTimeoutMs: 500 },
        spool: { dir: join(dir, 'spool'), memoryBytes: 4096 },
        metrics: { listen: '127.0.0.1:0' },
        drainTimeoutMs: 500,
      },
    });
    const agent = await startAgent(cfg);
    await new Promise((r) => setTimeout(r, 1200));
    const text = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
    expect(text).toMatch(/qmpipe_agent_polls_total\{vm="qmp"\} ([5-9]|1\d)/);
    expect(text).toMatch(/qmpipe_agent_spool_records\{tier="disk"\} [1-9]/); // 4 KiB of memory spilled to disk
    expect(text).toContain('qmpipe_agent_vms 1');
    const queued = ['Sample', 'QmpEvent', 'AgentNotice', 'StatsSchemaSnapshot'].reduce((n, k) => n + agent.telemetry.recordsQueued.value({ kind: k }), 0);
    const t0 = Date.now();
    await agent.stop();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(agent.telemetry.recordsPublished.value()).toBe(0);
    // Everything is on disk, in order, for the next start.
    const next = new Spool({ memoryBytes: 1 << 20, dir: join(dir, 'spool'), diskBytes: 1 << 30 });
    expect(next.records).toBe(queued);
    const seqs: number[] = [];
    for (let b = next.peek(1000, 1 << 30); b.length > 0; b = next.peek(1000, 1 << 30)) {
      seqs.push(...b.map((e) => decodeRaw(e.value).seq));
      next.commit();
    }
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it('past the spool bound the oldest records are dropped, counted, and the VM gets a spool-dropped notice', async () => {
    srv = await replayServer(loadFixture('kvm-vcpu-stats.jsonl'));
    dir = mkdtempSync(join(tmpdir(), 'agent-main-'));
    const cfg = loadAgentConfig({
      raw: {
        vms: { sockets: [{ path: srv.path }] },
        sampling: { fastIntervalMs: 50, slowIntervalMs: 500 },
        kafka: { brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200, requestTimeoutMs: 500 },
        spool: { dir: join(dir, 'spool'), memoryBytes: 2048, diskBytes: 6000 },
        metrics: { listen: 'off' },
        drainTimeoutMs: 200,
      },
    });
    const agent = await startAgent(cfg);
    await new Promise((r) => setTimeout(r, 1500));
    await agent.stop();
    const dropped = ['memory-full', 'disk-full', 'corrupt-segment'].reduce((n, r) => n + agent.telemetry.spoolDropped.value({ reason: r }), 0);
    expect(dropped).toBeGreaterThan(0);
    const left = new Spool({ memoryBytes: 1 << 20, dir: join(dir, 'spool'), diskBytes: 1 << 30 });
    const recs = [];
    for (let b = left.peek(1000, 1 << 30); b.length > 0; b = left.peek(1000, 1 << 30)) {
      recs.push(...b.map((e) => decodeRaw(e.value)));
      left.commit();
    }
    const seqs = recs.map((r) => r.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b)); // oldest dropped first: what is left is in order
    expect(seqs[0]).toBeGreaterThan(0);
    const notices = recs.filter((r) => r.body.kind === 'AgentNotice' && r.body.value.kind === 'spool-dropped');
    expect(notices.length).toBeGreaterThan(0);
    expect(notices.every((n) => (n.body.value as { count: number }).count > 0)).toBe(true);
  });

  it('a health port answers /healthz only (503 while Kafka is unreachable): no VM names on it, /metrics stays on loopback', async () => {
    srv = await replayServer(loadFixture('kvm-vcpu-stats.jsonl'));
    const cfg = loadAgentConfig({
      raw: {
        vms: { sockets: [{ path: srv.path }] },
        kafka: { brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200, requestTimeoutMs: 500 },
        metrics: { listen: '127.0.0.1:0', healthListen: '127.0.0.1:0' },
        drainTimeoutMs: 200,
      },
    });
    const agent = await startAgent(cfg);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const health = `http://127.0.0.1:${agent.healthPort}`;
      expect(agent.healthPort).not.toBe(agent.metricsPort);
      // The broker is dead: the probe says so (503 and why), and names no VM.
      const probe = await fetch(`${health}/healthz`);
      const text = await probe.text();
      expect(probe.status).toBe(503);
      expect(text).toMatch(/^unhealthy: Kafka: /);
      expect(text).not.toContain('qmp');
      expect((await fetch(`${health}/metrics`)).status).toBe(404);
      expect(await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text()).toContain('vm="qmp"');
    } finally {
      await agent.stop();
    }
  });

  it('a spool dir it cannot create: logs an error once and spools in memory instead of failing to start', async () => {
    dir = mkdtempSync(join(tmpdir(), 'agent-main-'));
    writeFileSync(join(dir, 'file'), 'x');
    const lines: Array<{ level: string; msg: string }> = [];
    const logger = createLogger({}, { level: 'info', write: (l) => lines.push(JSON.parse(l) as (typeof lines)[number]) });
    const cfg = loadAgentConfig({
      raw: {
        kafka: { brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200 },
        spool: { dir: join(dir, 'file', 'spool') },
        metrics: { listen: 'off' },
        drainTimeoutMs: 100,
      },
    });
    const agent = await startAgent(cfg, { logger });
    await agent.stop();
    expect(lines.filter((l) => l.level === 'error' && l.msg.includes('spool')).map((l) => l.msg)).toEqual(['spool dir unusable: spooling in memory only']);
  });
});
