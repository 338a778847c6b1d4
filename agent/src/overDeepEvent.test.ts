/**
 * Regression: one QMP event nested 10,000 deep ended the agent for the whole host. It
 * parsed, then JSON.stringify of its data threw RangeError inside the socket's read
 * callback (no try/catch there), and the process died. Now it is dropped before parsing,
 * counted per VM, logged once per interval, and every VM keeps its schedule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '#common/log.js';
import { loadAgentConfig } from '#schemas/config/agent.js';
import { replayServer, type FakeServer } from '#test/support/fakeQmpServer.js';
import { loadFixture } from '#test/support/transcriptLines.js';
import { startAgent } from './main.js';

const servers: FakeServer[] = [];
let dir: string | undefined;
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DEEP = 10_000;
const plainEvent = '{"timestamp":{"seconds":1,"microseconds":2},"event":"RESUME"}\r\n';
const deepEvent = `{"timestamp":{"seconds":1,"microseconds":2},"event":"DEEP","data":{"a":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}}\r\n`;

describe('a 10,000-deep QMP event', () => {
  it('is dropped and counted for its VM; the agent and both VMs keep their schedule', async () => {
    dir = mkdtempSync(join(tmpdir(), 'agent-deep-'));
    const fixture = loadFixture('kvm-vcpu-stats.jsonl');
    let hostile = false;
    let deepSent = 0;
    // VM a: once hostile, a deep event between two plain ones before every query-status answer.
    const before = (cmd: Record<string, unknown>) => {
      if (!hostile || cmd.execute !== 'query-status') return '';
      deepSent += 1;
      return plainEvent + deepEvent + plainEvent;
    };
    servers.push(await replayServer(fixture, { before }, join(dir, 'a.sock')));
    servers.push(await replayServer(fixture, {}, join(dir, 'b.sock')));
    const warnings: Array<Record<string, unknown>> = [];
    const logger = createLogger({}, { level: 'warn', write: (l) => void warnings.push(JSON.parse(l) as Record<string, unknown>) });
    const cfg = loadAgentConfig({
      raw: {
        host: 'unit',
        vms: { sockets: [{ path: join(dir, 'a.sock') }, { path: join(dir, 'b.sock') }] },
        sampling: { fastIntervalMs: 100, slowIntervalMs: 1000 },
        kafka: { brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200, requestTimeoutMs: 500 },
        metrics: { listen: 'off' },
        drainTimeoutMs: 200,
      },
    });
    const agent = await startAgent(cfg, { logger });
    const polls = (vm: string) => agent.telemetry.polls.value({ vm });
    try {
      await sleep(300);
      const before = { a: polls('a'), b: polls('b') };
      await sleep(1000);
      const quiet = { a: polls('a') - before.a, b: polls('b') - before.b };
      hostile = true;
      await sleep(300);
      const start = { a: polls('a'), b: polls('b') };
      await sleep(1000);
      const hostileWindow = { a: polls('a') - start.a, b: polls('b') - start.b };
      hostile = false;
      await sleep(300); // the last deep event sent is read

      // Every deep event sent was dropped and counted, however many ticks the machine's load allowed.
      const dropped = agent.telemetry.qmpDropped.value({ vm: 'a', reason: 'too-deep' });
      expect(deepSent).toBeGreaterThanOrEqual(3);
      expect(dropped).toBe(deepSent);
      expect(agent.telemetry.qmpDropped.value({ vm: 'b', reason: 'too-deep' })).toBe(0);
      expect(agent.telemetry.recordsQueued.value({ kind: 'QmpEvent' })).toBeGreaterThanOrEqual(2 * dropped); // the events around it flow
      // Both VMs kept their schedule: ~10 ticks a second, not fewer once a was hostile.
      expect(quiet.b).toBeGreaterThanOrEqual(8);
      expect(hostileWindow.b).toBeGreaterThanOrEqual(quiet.b - 1);
      expect(hostileWindow.a).toBeGreaterThanOrEqual(quiet.a - 1);
      expect(agent.pollers.get(join(dir, 'a.sock'))?.state).toBe('up');
      // One warning line for VM a, not one per event.
      const lines = warnings.filter((w) => w.msg === 'QMP message dropped (one line a minute at most; every drop is counted)');
      expect(lines).toEqual([expect.objectContaining({ vm: 'a', reason: 'too-deep', what: 'event DEEP', droppedSinceLastLine: 1 })]);
    } finally {
      await agent.stop();
    }
  });
});
