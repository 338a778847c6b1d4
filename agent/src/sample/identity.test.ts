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
    expect(id).toEqual({ host: 'h1', uuid: 'name:cap-thin', name: 'cap-thin', instanceId: instanceIdOf([10639, 10640], 1795311980793), qemuVersion: '7.2.22' });
    expect(vcpuThreadIds(thin.cpus)).toEqual([10639, 10640]);
  });

  it('uses query-uuid unless it is the all-zero default', () => {
    expect(toVmIdentity({ ...thin, uuid: { UUID: '550e8400-e29b-41d4-a716-446655440000' } }).uuid).toBe('550e8400-e29b-41d4-a716-446655440000');
    expect(toVmIdentity({ ...thin, uuid: { UUID: '00000000-0000-0000-0000-000000000000' } }).uuid).toBe('name:cap-thin');
  });

  it('changes the instance id when the vCPU threads or the connect time change, not otherwise', () => {
    const base = toVmIdentity(thin).instanceId;
    const cpus = thin.cpus as { 'thread-id': number }[];
    expect(toVmIdentity({ ...thin }).instanceId).toBe(base);
    expect(toVmIdentity({ ...thin, cpus: [...cpus].reverse() }).instanceId).toBe(base); // order is irrelevant
    expect(toVmIdentity({ ...thin, cpus: [{ ...cpus[0]!, 'thread-id': 20001 }, cpus[1]!] }).instanceId).not.toBe(base);
    expect(toVmIdentity({ ...thin, connectTime: thin.connectTime + 1 }).instanceId).not.toBe(base);
    expect(toVmIdentity({ ...thin, host: 'other', name: { name: 'x' } }).instanceId).toBe(base);
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
    expect(id).toMatchObject({ uuid: 'name:vm-sock', name: 'vm-sock', qemuVersion: 'unknown', instanceId: instanceIdOf([], 5) });
    expect(qemuVersionOf(undefined, thin.greeting)).toBe('7.2.22');
  });
});
