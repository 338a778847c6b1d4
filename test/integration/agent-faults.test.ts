/**
 * Fault tests of the agent against the real stack from infra/:
 * - QEMU killed mid-run and restarted on the same socket with the same uuid: the agent
 *   reconnects and the records carry a new instance id;
 * - the Kafka broker stopped for 20 s and restarted (same command line, port and data):
 *   every sample taken meanwhile arrives afterwards, none lost or duplicated (seq per
 *   VM), with the spool spilling to disk;
 * - stop while the broker is frozen (SIGSTOP: it accepts nothing, answers nothing): the
 *   spool is persisted within the drain deadline;
 * - a stuck socket (accepts, never answers) and a garbage socket next to a real VM:
 *   only they go stale, the real VM keeps its 1 s schedule.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentHandle } from '#agent/main.js';
import type { RawRecord, Sample } from '#schemas/types.js';
import { kafkaClient, randomName, stack, startTestVm, type TestVm } from './helpers/index.js';
import { restartProcess, stopProcess } from './helpers/restart.js';
import { agentConfig, kindOf, readRaw, seqReport, sleep, waitFor } from './agent-support.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch((e: unknown) => console.error('[agent-faults] cleanup:', e));
});

async function runAgent(cfg: ReturnType<typeof agentConfig>): Promise<AgentHandle> {
  const agent = await startAgent(cfg);
  let stopped = false;
  cleanup.push(async () => {
    if (!stopped) await agent.stop();
  });
  const stop = agent.stop.bind(agent);
  agent.stop = async () => {
    stopped = true;
    await stop();
  };
  return agent;
}

async function vmUp(name?: string, uuid?: string): Promise<TestVm> {
  const vm = await startTestVm({ noBootWait: true, seconds: 0, ...(name ? { name } : {}), ...(uuid ? { uuid } : {}) });
  cleanup.push(() => vm.stop());
  return vm;
}

/** The pid of the broker this test run started; only ever signal that one (its command line names our run dir). */
async function brokerAnswers(): Promise<boolean> {
  const admin = kafkaClient('it-faults-probe').admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function kafkaPid(): number {
  const pid = Number(/^KAFKA_PID=(\d+)$/m.exec(readFileSync(join(stack().runDir, 'stack.env'), 'utf8'))![1]);
  expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain(stack().runDir);
  return pid;
}

const samples = (rs: RawRecord[], uuid: string): RawRecord[] => rs.filter((r) => r.vm.uuid === uuid && r.body.kind === 'Sample');

describe('agent faults', () => {
  it('QEMU killed mid-run and restarted with the same uuid: the agent reconnects and the records carry a new instance id', async () => {
    const name = randomName('it-kill');
    const vm1 = await vmUp(name);
    const cfg = agentConfig({ sockets: [{ path: vm1.qmpAgent }] });
    const agent = await runAgent(cfg);
    await waitFor('samples of the first QEMU', () => agent.telemetry.polls.value({ vm: name }) >= 2, 30_000);
    await vm1.stop(); // kills QEMU: EOF on the agent's socket
    await sleep(1500);
    // Same socket path, same -uuid and -name: only the process is new (a restart, as
    // libvirt or an operator would do it). Only the process can tell them apart.
    const vm2 = await vmUp(name, vm1.uuid);
    expect(vm2.qmpAgent).toBe(vm1.qmpAgent);
    expect(vm2.uuid).toBe(vm1.uuid);
    const before = agent.telemetry.polls.value({ vm: name });
    await waitFor('samples of the restarted QEMU', () => agent.telemetry.polls.value({ vm: name }) >= before + 2, 30_000);
    await agent.stop();
    // One uuid: one partition, read in order. Wait for two samples after the second connect.
    const rs = await readRaw(cfg.kafka.rawTopic, (rs) => {
      const kinds = rs.filter((r) => r.vm.uuid === vm1.uuid).map(kindOf);
      const reconnected = kinds.indexOf('notice:connected', 1);
      return reconnected > 0 && kinds.slice(reconnected).filter((k) => k === 'Sample').length >= 2;
    });
    const all = rs.filter((r) => r.vm.uuid === vm1.uuid);
    const cut = all.findIndex((r) => kindOf(r) === 'notice:disconnected');
    const [first, second] = [all.slice(0, cut + 1), all.slice(cut + 1)];
    expect(second.map(kindOf)[0]).toBe('notice:connected');
    expect(new Set(first.map((r) => r.vm.instanceId)).size).toBe(1);
    expect(new Set(second.map((r) => r.vm.instanceId)).size).toBe(1);
    expect(second[0]!.vm.instanceId).not.toBe(first[0]!.vm.instanceId);
    console.log(`[agent-faults] same-uuid restart: instance ${first[0]!.vm.instanceId} → ${second[0]!.vm.instanceId}`);
    expect(seqReport(rs, vm1.uuid)).toMatchObject({ duplicates: 0, missing: 0 });
    expect(agent.telemetry.reconnects.value({ vm: name })).toBe(2);
  });

  it('Kafka broker down for 20 s: every sample taken meanwhile arrives, none lost or duplicated', async () => {
    const pid = kafkaPid();
    const vm = await vmUp();
    const cfg = agentConfig({ sockets: [{ path: vm.qmpAgent }], spool: { memoryBytes: 2048 } });
    const agent = await runAgent(cfg);
    await waitFor('records in Kafka', () => agent.telemetry.recordsPublished.value() >= 3, 60_000);
    const t0 = Date.now();
    // A real outage: the broker process is stopped, then started again with the same
    // command line (same port, same log dirs) 20 s after it went down.
    const stopped = await stopProcess(pid);
    let restarted = false;
    const restart = async (): Promise<void> => {
      if (restarted) return;
      restarted = true;
      const s = stack();
      await restartProcess(stopped, 20_000, {
        log: join(s.logDir, 'kafka.log'),
        pidFile: join(s.runDir, 'kafka', 'kafka.pid'),
        envFile: { path: join(s.runDir, 'stack.env'), key: 'KAFKA_PID' },
      });
      const deadline = Date.now() + 90_000;
      while (!(await brokerAnswers())) {
        if (Date.now() > deadline) throw new Error('the restarted broker did not answer within 90 s');
        await sleep(250);
      }
    };
    cleanup.push(restart);
    await sleep(Math.max(0, 20_000 - (Date.now() - stopped.stoppedAt)) - 500);
    const spooledDisk = agent.telemetry.spoolRecords.value({ tier: 'disk' });
    const publishedDuring = agent.telemetry.recordsPublished.value();
    await restart();
    const t1 = Date.now();
    await sleep(3000);
    await agent.stop(); // drains the spool
    const queued = ['Sample', 'QmpEvent', 'AgentNotice', 'StatsSchemaSnapshot'].reduce((n, k) => n + agent.telemetry.recordsQueued.value({ kind: k }), 0);
    const rs = await readRaw(cfg.kafka.rawTopic, (rs) => rs.filter((r) => r.vm.uuid === vm.uuid).length >= queued, 90_000);
    const report = seqReport(rs, vm.uuid);
    console.log(
      `[agent-faults] kafka outage: ${queued} records queued, ${report.count} consumed, ${spooledDisk} on disk at the end of the outage, published before resume ${publishedDuring}, dropped ${agent.telemetry.spoolDropped.value({ reason: 'disk-full' }) + agent.telemetry.spoolDropped.value({ reason: 'memory-full' })}`,
    );
    expect(report).toEqual({ count: queued, max: queued - 1, duplicates: 0, missing: 0 });
    expect(spooledDisk).toBeGreaterThan(0); // the memory tier (2 KiB) overflowed to disk segments
    // samples kept their 1 s schedule through the outage
    const ts = samples(rs, vm.uuid)
      .map((r) => r.t)
      .filter((t) => t >= t0 && t <= t1);
    expect(ts.length).toBeGreaterThanOrEqual(18);
    const gaps = ts.slice(1).map((t, i) => t - ts[i]!);
    expect(Math.max(...gaps)).toBeLessThan(2500);
  });

  it('stop while Kafka is down: the spool is persisted within the drain deadline and the next start delivers it', async () => {
    const pid = kafkaPid();
    const vm = await vmUp();
    const cfg = agentConfig({ sockets: [{ path: vm.qmpAgent }] });
    cfg.drainTimeoutMs = 2000;
    const agent = await runAgent(cfg);
    await waitFor('records in Kafka', () => agent.telemetry.recordsPublished.value() >= 3, 60_000);
    process.kill(pid, 'SIGSTOP');
    let resumed = false;
    const resume = async (): Promise<void> => {
      if (!resumed) process.kill(pid, 'SIGCONT');
      resumed = true;
    };
    cleanup.push(resume);
    await sleep(4000);
    const t0 = Date.now();
    await agent.stop();
    const stopMs = Date.now() - t0;
    const queued = ['Sample', 'QmpEvent', 'AgentNotice', 'StatsSchemaSnapshot'].reduce((n, k) => n + agent.telemetry.recordsQueued.value({ kind: k }), 0);
    await resume();
    // A second agent run on the same spool dir, watching no VM, sends what the first left.
    const next = await runAgent(agentConfig({ kafka: { rawTopic: cfg.kafka.rawTopic, schemaTopic: cfg.kafka.schemaTopic }, spool: { dir: cfg.spool.dir } }));
    await waitFor(
      'spool drained by the next run',
      () =>
        next.telemetry.spoolRecords.value({ tier: 'disk' }) + next.telemetry.spoolRecords.value({ tier: 'memory' }) === 0 &&
        next.telemetry.recordsPublished.value() > 0,
      60_000,
    );
    await next.stop();
    const rs = await readRaw(cfg.kafka.rawTopic, (rs) => new Set(rs.filter((r) => r.vm.uuid === vm.uuid).map((r) => r.seq)).size >= queued, 60_000);
    const report = seqReport(rs, vm.uuid);
    console.log(
      `[agent-faults] stop during outage: stop took ${stopMs} ms, ${queued} records queued, ${report.count} consumed (${report.duplicates} duplicates)`,
    );
    expect(stopMs).toBeLessThan(cfg.drainTimeoutMs + 3000);
    expect(report.missing).toBe(0);
    expect(report.max).toBe(queued - 1);
  });

  it('a stuck socket and a garbage socket go stale; the real VM keeps its schedule', async () => {
    const vm = await vmUp();
    const dir = join(tmpdir(), randomName('it-bad'));
    const { mkdirSync, rmSync } = await import('node:fs');
    mkdirSync(dir);
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const servers: Server[] = [];
    const stuck = createServer(() => {}); // accepts, never writes
    const garbage = createServer((s) => {
      s.on('error', () => {});
      s.end(Buffer.from('\x00\xff{"QMP" not json\r\n', 'latin1'));
    });
    for (const [srv, file] of [
      [stuck, 'stuck.sock'],
      [garbage, 'garbage.sock'],
    ] as const) {
      await new Promise<void>((r) => srv.listen(join(dir, file), () => r()));
      servers.push(srv);
    }
    cleanup.push(async () => {
      for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
    });
    const cfg = agentConfig({ sockets: [{ path: vm.qmpAgent }, { path: join(dir, 'stuck.sock') }, { path: join(dir, 'garbage.sock') }] });
    const agent = await runAgent(cfg);
    await waitFor('first sample of the real VM', () => agent.telemetry.polls.value({ vm: vm.name }) >= 1, 30_000);
    const n0 = agent.telemetry.polls.value({ vm: vm.name });
    await sleep(8000);
    const n1 = agent.telemetry.polls.value({ vm: vm.name });
    expect(n1 - n0).toBeGreaterThanOrEqual(7);
    expect(n1 - n0).toBeLessThanOrEqual(9);
    expect(agent.telemetry.vmStale.value({ vm: 'stuck' })).toBe(1);
    expect(agent.telemetry.vmStale.value({ vm: 'garbage' })).toBe(1);
    expect(agent.telemetry.vmStale.value({ vm: vm.name })).toBe(0);
    expect(agent.telemetry.pollErrors.value({ vm: 'garbage', class: 'greeting' })).toBeGreaterThan(0);
    expect(agent.telemetry.pollErrors.value({ vm: 'stuck', class: 'greeting' })).toBeGreaterThan(0);
    await agent.stop();
    const rs = await readRaw(cfg.kafka.rawTopic, (rs) => samples(rs, vm.uuid).length >= n1);
    expect(new Set(rs.map((r) => r.vm.uuid))).toEqual(new Set([vm.uuid])); // the bad sockets published nothing
    const sample = samples(rs, vm.uuid).at(-1)!.body.value as Sample;
    expect(sample.running || sample.status === 'prelaunch' || sample.status === 'running').toBe(true);
  });
});
