import { describe, expect, it } from 'vitest';
import type { ConnectInfo } from './seam.js';
import { fixtureTicks } from '#test/support/fixtures.js';
import { instanceIdOf } from './identity.js';
import { sampleBuilder } from './sampleBuilder.js';
import { buildAll } from '#test/support/sample.js';

const ticks = fixtureTicks('qmp', 'kvm-vcpu-stats.jsonl');
const schemas = ticks[0]!.replies['query-stats-schemas'];
const cpus = [
  { 'thread-id': 4826, 'qom-path': '/machine/unattached/device[0]' },
  { 'thread-id': 4827, 'qom-path': '/machine/unattached/device[2]' },
];
const info: ConnectInfo = {
  host: 'h1',
  socketName: 'cap-kvm.sock',
  connectedAt: 1795310962300,
  greeting: { kind: 'greeting', version: { major: 7, minor: 2, micro: 22 }, package: 'Debian', capabilities: ['oob'] },
  uuid: undefined,
  name: { name: 'cap-kvm' },
  cpus,
  process: { threadId: 4826, startTime: 81234, bootId: 'd977240d-d638-4aa9-b504-f0e26d590fbb' },
  statsSchemas: schemas,
};

describe('sampleBuilder (the poller seam)', () => {
  it('connects with the identity and the schemas read at connect', () => {
    const { identity, state, snapshot } = sampleBuilder.connect(info, undefined);
    expect(identity).toEqual({
      host: 'h1',
      uuid: 'name:cap-kvm',
      name: 'cap-kvm',
      instanceId: instanceIdOf([4826, 4827], info.process, 0),
      qemuVersion: '7.2.22',
    });
    expect(snapshot).toBeUndefined(); // handed out with the first sample that references it
    expect(state.stats?.snapshot.schemas).toHaveLength(2);
  });

  it('keeps the instance id across connections to the same process; a new process start gives a new one', () => {
    const first = sampleBuilder.connect(info, undefined).identity.instanceId;
    expect(sampleBuilder.connect({ ...info, connectedAt: info.connectedAt + 60_000 }, undefined).identity.instanceId).toBe(first);
    const restarted = { ...info, process: { ...info.process!, startTime: 99000 } };
    expect(sampleBuilder.connect(restarted, undefined).identity.instanceId).not.toBe(first);
  });

  it('builds the same samples as ticks that carry the schemas themselves', () => {
    let state = sampleBuilder.connect(info, undefined).state;
    const viaSeam = ticks.map((t) => {
      const { ['query-stats-schemas']: _schemas, ...replies } = t.replies;
      const r = sampleBuilder.build(state, { ...t, replies });
      state = r.state;
      return r;
    });
    const direct = buildAll(ticks);
    expect(viaSeam.map((r) => r.sample)).toEqual(direct.samples);
    expect(viaSeam.flatMap((r) => (r.snapshot ? [r.snapshot] : []))).toEqual(direct.snapshots);
  });

  it('falls back to the socket name and maps parsed events', () => {
    const { identity } = sampleBuilder.connect({ ...info, name: undefined, statsSchemas: undefined }, undefined);
    expect(identity.name).toBe('cap-kvm.sock');
    const ev = sampleBuilder.event({ kind: 'event', event: 'RESUME', data: {}, timestamp: { seconds: 1, microseconds: 5 } });
    expect(ev).toEqual({ event: 'RESUME', qemuTimeUs: 1000005, data: '{}' });
  });
});
