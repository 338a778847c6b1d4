import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VmsConfig } from '#schemas/config/agent.js';
import { unixTarget } from '../poller/vmTarget.js';
import { Discovery, diffTargets, globToRegExp, scanTargets } from './discovery.js';

const cleanup: Array<() => void> = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

async function listen(path: string): Promise<Server> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(path, () => r()));
  cleanup.push(() => s.close());
  return s;
}

describe('globToRegExp', () => {
  it.each([
    ['*.sock', 'vm1.sock', true],
    ['*.sock', 'vm1.sock.bak', false],
    ['vm?.sock', 'vm7.sock', true],
    ['vm?.sock', 'vm10.sock', false],
    ['a.b*', 'aXb', false],
  ])('%s ~ %s → %s', (g, name, ok) => expect(globToRegExp(g).test(name)).toBe(ok));
});

describe('diffTargets', () => {
  it('reports new and vanished targets', () => {
    const cur = new Map([
      ['/a', unixTarget('/a')],
      ['/b', unixTarget('/b')],
    ]);
    const { added, removed } = diffTargets(cur, [unixTarget('/b'), unixTarget('/c')]);
    expect(added.map((t) => t.id)).toEqual(['/c']);
    expect(removed).toEqual(['/a']);
  });
});

describe('Discovery on a real directory of unix sockets', () => {
  it('picks up new sockets, drops vanished ones, ignores non-sockets, applies net by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qmpdisc-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const s1 = await listen(join(dir, 'vm1.sock'));
    writeFileSync(join(dir, 'notasocket.sock'), '');
    const vms = VmsConfig.parse({ globs: [join(dir, '*.sock')], sockets: [{ tcp: { host: '127.0.0.1', port: 4444 } }], net: { vm2: ['tap-vm2'] } });
    expect(
      scanTargets(vms)
        .map((t) => t.label)
        .sort(),
    ).toEqual(['127.0.0.1_4444', 'vm1']);
    const events: string[] = [];
    const d = new Discovery(vms, { added: (t) => events.push(`+${t.label}:${t.net.join(',')}`), removed: (id) => events.push(`-${id.split('/').pop()}`) });
    d.scan();
    await listen(join(dir, 'vm2.sock'));
    d.scan();
    await new Promise<void>((r) => s1.close(() => r())); // closing a unix server unlinks its socket file
    d.scan();
    expect(events).toEqual(['+127.0.0.1_4444:', '+vm1:', '+vm2:tap-vm2', '-vm1.sock']);
    expect(d.size).toBe(2);
  });

  it('a missing glob directory yields no targets, not an error', () => {
    expect(scanTargets(VmsConfig.parse({ globs: ['/nonexistent/dir/*.sock'] }))).toEqual([]);
  });
});
