/**
 * The QMP line ceiling fits the memory the shipped units give the agent. A line is held
 * several times over while it is read and parsed (the chunks, the joined line, the
 * string, the parsed value), so a 64 MiB ceiling let one VM's reply take the agent past
 * the DaemonSet's 192 MiB and get it OOM-killed. The agent runs in a child process (plain
 * node, test/support/nodeChild.ts) under the unit's heap cap; a server double answers every query-status with a reply just
 * under the default ceiling (VM `under`) or just over it (VM `over`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentConfig } from '#schemas/config/agent.js';
import { replayServer, type FakeServer } from '#test/support/fakeQmpServer.js';
import { bundleForNode, outputOf, spawnNode } from '#test/support/nodeChild.js';
import { loadFixture } from '#test/support/transcriptLines.js';

const root = new URL('../../', import.meta.url).pathname;
const servers: FakeServer[] = [];
let dir: string | undefined;
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The Kubernetes DaemonSet's memory limit (the smaller of the two units: systemd's MemoryMax is 256M), in bytes. */
function daemonSetLimit(): number {
  const yaml = readFileSync(join(root, 'infra/deploy/kubernetes/agent-daemonset.yaml'), 'utf8');
  const mi = /limits:\s*\{\s*memory:\s*(\d+)Mi\s*\}/.exec(yaml);
  if (!mi) throw new Error('no memory limit in agent-daemonset.yaml');
  return Number(mi[1]) << 20;
}

/** A query-status reply of exactly `bytes` bytes before its CRLF. */
function statusReply(id: unknown, bytes: number): string {
  const head = `{"return":{"status":"running","running":true,"pad":"`;
  const tail = `"},"id":${JSON.stringify(id)}}`;
  return `${head}${'x'.repeat(bytes - head.length - tail.length)}${tail}\r\n`;
}

describe('the QMP line ceiling', () => {
  it('a reply just under the default ceiling is sampled and one just over is refused, with RSS under the unit limit', async () => {
    const ceiling = AgentConfig.parse({ kafka: { brokers: ['x:1'] } }).qmp.maxLineBytesCeiling;
    const limit = daemonSetLimit();
    dir = mkdtempSync(join(tmpdir(), 'agent-ceiling-'));
    const fixture = loadFixture('kvm-vcpu-stats.jsonl');
    for (const [vm, bytes] of [
      ['under', ceiling - 1],
      ['over', ceiling + 1],
    ] as const) {
      const answer = (cmd: Record<string, unknown>) => (cmd.execute === 'query-status' ? statusReply(cmd.id, bytes) : undefined);
      servers.push(await replayServer(fixture, { answer }, join(dir, `${vm}.sock`)));
    }
    const raw = {
      host: 'unit',
      vms: { sockets: [{ path: join(dir, 'under.sock') }, { path: join(dir, 'over.sock') }] },
      sampling: { fastIntervalMs: 250, slowIntervalMs: 5000 },
      kafka: { brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200, requestTimeoutMs: 500 },
      metrics: { listen: 'off' },
      drainTimeoutMs: 200,
    };
    // The agent as plain node runs it, under the unit's heap cap.
    const script = await bundleForNode('test/support/agentMemoryChild.ts', join(dir, 'child'));
    const env = { QMPIPE_TEST_CONFIG: JSON.stringify(raw), QMPIPE_TEST_MS: '6000' };
    const child = await outputOf(spawnNode(script, [`--max-old-space-size=${limit >> 20}`, '--max-semi-space-size=4'], env));
    expect(child.status, child.stderr).toBe(0);
    const out = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
      baseRss: number;
      peakRss: number;
      byVm: Record<string, { polls: number; lineLimit: number; disconnected: number }>;
    };
    console.log(`line ceiling ${ceiling} B: agent RSS ${out.baseRss >> 20} MiB at start, peak ${out.peakRss >> 20} MiB (limit ${limit >> 20} MiB)`);
    expect(out.peakRss).toBeLessThan(limit);
    expect(out.byVm.under!.lineLimit).toBe(ceiling); // doubled from qmp.maxLineBytes up to the ceiling
    expect(out.byVm.under!.polls).toBeGreaterThanOrEqual(4); // each one read an (ceiling - 1)-byte reply
    expect(out.byVm.over!.polls).toBe(0);
    expect(out.byVm.over!.disconnected).toBeGreaterThan(0);
  }, 60_000);
});
