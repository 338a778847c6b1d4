/**
 * Status and jobs from events (tickPlan.ts): which QMP commands each tick sends through
 * the real QmpSource, tick runner and sample builder, on a session double that records them.
 */
import { describe, expect, it } from 'vitest';
import { testPollerOptions } from '#test/support/pollerDoubles.js';
import type { QmpClientOptions } from '../qmp/client.js';
import type { QmpGreeting } from '../qmp/messages.js';
import type { QmpSession } from '../qmp/session.js';
import { sysfsReader } from '../host/sysfs.js';
import { sampleBuilder } from '../sample/sampleBuilder.js';
import type { SampleBuilder } from '../sample/seam.js';
import { createTelemetry } from '../telemetry.js';
import type { PollerOptions } from './options.js';
import { QmpSource } from './qmpSource.js';
import type { SourceConnection } from './source.js';
import { planTick, statusAndJobs } from './tickPlan.js';
import { unixTarget } from './vmTarget.js';

const opts: PollerOptions = { ...testPollerOptions, fastIntervalMs: 1000, slowIntervalMs: 10_000 };

const COMMIT_JOB = {
  type: 'commit',
  device: 'job0',
  len: 100,
  offset: 10,
  busy: true,
  paused: false,
  speed: 0,
  ready: false,
  status: 'running',
  'io-status': 'ok',
};

/** A VM answering every command; records what each tick sent. */
class Vm implements QmpSession {
  readonly greeting: QmpGreeting = { kind: 'greeting', version: { major: 8, minor: 2, micro: 0 }, package: '', capabilities: [] };
  closed = false;
  sent: string[] = [];
  status = 'running';
  jobs: unknown[] = [];
  constructor(readonly o: QmpClientOptions) {}
  async execute<T>(command: string): Promise<T> {
    this.sent.push(command);
    const answers: Record<string, unknown> = {
      'query-uuid': { UUID: '5a1e0c2d-7f3b-4c1a-9d2e-6b8f0a4c3e21' },
      'query-name': { name: 'vm' },
      'query-status': { status: this.status, running: this.status === 'running' },
      'query-block-jobs': this.jobs,
      'query-stats-schemas': [],
      'query-stats': [],
    };
    return (answers[command] ?? []) as T;
  }
  event(name: string): void {
    this.o.onEvent?.({ kind: 'event', event: name, data: {}, timestamp: { seconds: 1, microseconds: 0 } });
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

async function connected(): Promise<{ vm: Vm; conn: SourceConnection }> {
  let vm: Vm | undefined;
  const target = { ...unixTarget('/run/t/vm.sock'), open: async (o: QmpClientOptions) => (vm = new Vm(o)) };
  const source = new QmpSource(target, opts, {
    builder: sampleBuilder as SampleBuilder<unknown>,
    sink: { publish: () => {} },
    hostReader: sysfsReader(),
    telemetry: createTelemetry(),
  });
  const conn = await source.connect({ onEvent: () => {}, onClose: () => {} }, new AbortController().signal);
  return { vm: vm!, conn };
}

/** One tick: the commands it sent (status and jobs only) and the sample's status and job count. */
async function tick(c: { vm: Vm; conn: SourceConnection }, slow = false): Promise<string> {
  c.vm.sent = [];
  const { sample } = await c.conn.read(slow);
  const asked = c.vm.sent.filter((x) => x === 'query-status' || x === 'query-block-jobs');
  return `${asked.join('+') || '-'} ${sample.status} jobs=${sample.jobs.length}`;
}

describe('status and jobs from events', () => {
  it('a quiet VM: status and jobs read on the slow grid only; between, the last status and no job', async () => {
    const c = await connected();
    expect(await tick(c, true)).toBe('query-status+query-block-jobs running jobs=0');
    expect(await tick(c)).toBe('- running jobs=0');
    expect(await tick(c)).toBe('- running jobs=0');
    expect(c.vm.sent).toEqual(['query-stats', 'query-stats', 'query-blockstats']); // the vm and vcpu targets, the block counters
    expect(await tick(c, true)).toBe('query-status+query-block-jobs running jobs=0');
  });

  it('an event (STOP) makes the next tick read status and jobs, once', async () => {
    const c = await connected();
    await tick(c, true);
    c.vm.status = 'paused';
    c.vm.event('STOP');
    expect(await tick(c)).toBe('query-status+query-block-jobs paused jobs=0');
    expect(await tick(c)).toBe('- paused jobs=0');
  });

  it('a job announced (JOB_STATUS_CHANGE) is read on every tick until the reply lists none', async () => {
    const c = await connected();
    await tick(c, true);
    c.vm.jobs = [COMMIT_JOB];
    c.vm.event('JOB_STATUS_CHANGE');
    expect(await tick(c)).toBe('query-status+query-block-jobs running jobs=1');
    expect(await tick(c)).toBe('query-block-jobs running jobs=1');
    c.vm.jobs = [];
    expect(await tick(c)).toBe('query-block-jobs running jobs=0');
    expect(await tick(c)).toBe('- running jobs=0');
  });
});

describe('statusAndJobs / planTick', () => {
  it('plans neither status nor jobs on a quiet fast tick, both on the slow grid or after an event, jobs while listed', () => {
    expect(statusAndJobs(false, false, false)).toEqual({ status: false, jobs: false });
    expect(statusAndJobs(true, false, false)).toEqual({ status: true, jobs: true });
    expect(statusAndJobs(false, true, false)).toEqual({ status: true, jobs: true });
    expect(statusAndJobs(false, false, true)).toEqual({ status: false, jobs: true });
    const plan = planTick({
      version: { major: 8, minor: 2, micro: 0 },
      statsTargets: ['vm', 'vcpu'],
      blockstatsNodes: false,
      slow: false,
      status: false,
      jobs: false,
    });
    expect(plan.map((c) => c.key)).toEqual(['query-stats:vm', 'query-stats:vcpu', 'query-blockstats']);
  });
});
