import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { replayServer, type FakeServer } from '#test/support/fakeQmpServer.js';
import { loadFixture, parseTranscript } from '#test/support/transcriptLines.js';
import { unixTarget } from '#agent/poller/vmTarget.js';
import { record } from './command.js';

let srv: FakeServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await srv?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('qmpipe record', () => {
  it('writes a transcript in the shared fixture format that replays the same traffic', async () => {
    srv = await replayServer(loadFixture('thin-lv-enospc-commit.jsonl'));
    dir = mkdtempSync(join(tmpdir(), 'rec-'));
    const out = join(dir, 'out.jsonl');
    const n = await record({ target: unixTarget(srv.path, ['lo']), out, seconds: 0.5, intervalMs: 100 });
    const lines = parseTranscript(readFileSync(out, 'utf8'));
    expect(lines).toHaveLength(n);
    expect(lines[0]).toMatchObject({ dir: 'in', msg: { QMP: { version: { qemu: { major: 7, minor: 2 } } } } });
    expect(lines[1]).toMatchObject({ dir: 'out', msg: { execute: 'qmp_capabilities' } });
    // every out has exactly one in with its id, after it
    const outs = lines.filter((l) => l.dir === 'out');
    for (const o of outs) {
      const i = lines.indexOf(o);
      expect(lines.slice(i + 1).filter((l) => l.dir === 'in' && l.msg.id === o.msg.id)).toHaveLength(1);
    }
    expect(outs.every((o) => o.msg.execute === 'qmp_capabilities' || String(o.msg.execute).startsWith('query-'))).toBe(true);
    // host lines: net counters (lo exists everywhere); blockdev-size only for real block devices on this host
    expect(lines.some((l) => l.dir === 'host' && 'net-stats' in l.msg)).toBe(true);
    expect(lines.every((l) => typeof l.t === 'number' && ['in', 'out', 'host'].includes(l.dir))).toBe(true);
  });
});
