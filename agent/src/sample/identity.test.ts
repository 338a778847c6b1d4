import { describe, expect, it } from 'vitest';
import { fixtureLines } from '#test/support/fixtures.js';
import { instanceIdOf, qemuVersionOf, toVmIdentity, vcpuThreadIds, type IdentityInput } from './identity.js';

/** The startup replies of the thin-lv transcript, by command. */
function startupOf(lines: string[]): IdentityInput {
  const parsed = lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { t: number; dir: string; msg: Record<string, unknown> });
  const byId = new Map(parsed.filter((l) => l.dir === 'out').map((l) => [l.msg['id'], l.msg['execute']]));
  const reply = (cmd: string) => parsed.find((l) => l.dir === 'in' && byId.get(l.msg['id']) === cmd)?.msg['return'];
  const greeting = parsed[0]!;
  return {
    host: 'h1',
    connectTime: greeting.t,
    greeting: greeting.msg,
    version: reply('query-version'),
    name: reply('query-name'),
    cpus: reply('query-cpus-fast'),
  };
}

const thin = startupOf(fixtureLines('qmp', 'thin-lv-enospc-commit.jsonl'));

describe('toVmIdentity', () => {
  it('reads the version and name, and falls back to a name-derived uuid without query-uuid', () => {
    const id = toVmIdentity(thin);
    expect(id).toEqual({ host: 'h1', uuid: 'name:cap-thin', name: 'cap-thin', instanceId: instanceIdOf([10639, 10640], undefined, 0), qemuVersion: '7.2.22' });
    expect(vcpuThreadIds(thin.cpus)).toEqual([10639, 10640]);
  });

  it('uses query-uuid unless it is the all-zero default', () => {
    expect(toVmIdentity({ ...thin, uuid: { UUID: '550e8400-e29b-41d4-a716-446655440000' } }).uuid).toBe('550e8400-e29b-41d4-a716-446655440000');
    expect(toVmIdentity({ ...thin, uuid: { UUID: '00000000-0000-0000-0000-000000000000' } }).uuid).toBe('name:cap-thin');
  });

  it('a query-uuid that is not a uuid (__proto__, constructor, empty, too long) counts as none: the uuid comes from the name', () => {
    for (const UUID of ['__proto__', 'constructor', '', `${'550e8400-e29b-41d4-a716-446655440000'}0`, 'x'.repeat(5000)]) {
      expect(toVmIdentity({ ...thin, uuid: { UUID } }).uuid).toBe('name:cap-thin');
    }
  });

  it('names the process: the vCPU threads change it, the connect time does not (a transcript without a qemu-process line)', () => {
    const base = toVmIdentity(thin).instanceId;
    const cpus = thin.cpus as { 'thread-id': number }[];
    expect(toVmIdentity({ ...thin }).instanceId).toBe(base);
    expect(toVmIdentity({ ...thin, cpus: [...cpus].reverse() }).instanceId).toBe(base); // order is irrelevant
    expect(toVmIdentity({ ...thin, cpus: [{ ...cpus[0]!, 'thread-id': 20001 }, cpus[1]!] }).instanceId).not.toBe(base);
    expect(toVmIdentity({ ...thin, connectTime: thin.connectTime + 1 }).instanceId).toBe(base); // a reconnect or agent restart
    expect(toVmIdentity({ ...thin, host: 'other', name: { name: 'x' } }).instanceId).toBe(base);
  });

  it('with the process read on the host: a new start time (restart, tid reused) or boot id (reboot) is a new instance', () => {
    const proc = { threadId: 10639, startTime: 4711, bootId: 'd977240d-d638-4aa9-b504-f0e26d590fbb' };
    const base = toVmIdentity({ ...thin, process: proc }).instanceId;
    expect(base).not.toBe(toVmIdentity(thin).instanceId);
    expect(toVmIdentity({ ...thin, process: proc, connectTime: thin.connectTime + 9_000 }).instanceId).toBe(base);
    expect(toVmIdentity({ ...thin, process: { ...proc, startTime: 4712 } }).instanceId).not.toBe(base);
    expect(toVmIdentity({ ...thin, process: { ...proc, bootId: '00000000-d638-4aa9-b504-f0e26d590fbb' } }).instanceId).not.toBe(base);
    // A process record for a thread that is not one of the vCPUs is not believed.
    expect(toVmIdentity({ ...thin, process: { ...proc, threadId: 1 } }).instanceId).toBe(toVmIdentity(thin).instanceId);
  });

  it('without any vCPU thread id nothing names the process: every connection is a new instance', () => {
    const none = { ...thin, cpus: undefined };
    expect(toVmIdentity({ ...none, connectTime: 1 }).instanceId).not.toBe(toVmIdentity({ ...none, connectTime: 2 }).instanceId);
  });

  it('never throws on missing or malformed replies', () => {
    const id = toVmIdentity({
      host: 'h',
      connectTime: 5,
      greeting: 'nonsense',
      version: { qemu: { major: '7' } },
      name: 42,
      cpus: { not: 'a list' },
      fallbackName: 'vm-sock',
    });
    expect(id).toMatchObject({ uuid: 'name:vm-sock', name: 'vm-sock', qemuVersion: 'unknown', instanceId: instanceIdOf([], undefined, 5) });
    expect(qemuVersionOf(undefined, thin.greeting)).toBe('7.2.22');
  });
});
