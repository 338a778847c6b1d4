import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { replayServer, type FakeServer } from '#test/support/fakeQmpServer.js';
import { loadFixture, parseTranscript } from '#test/support/transcriptLines.js';
import { unixTarget } from '#agent/poller/vmTarget.js';
import { readQemuProcess } from '#agent/host/procfs.js';
import { instanceIdOf } from '#agent/sample/identity.js';
import { replayFile } from '#tools/transcript/replay.js';
import { isAllowed, readOnlyAllowlist } from '#agent/qmp/allowlist.js';
import { obj } from '#agent/sample/json.js';
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
    expect(outs.every((o) => isAllowed(readOnlyAllowlist, String(o.msg.execute), obj(o.msg.arguments)))).toBe(true);
    // host lines: net counters (lo exists everywhere); blockdev-size only for real block devices on this host
    expect(lines.some((l) => l.dir === 'host' && 'net-stats' in l.msg)).toBe(true);
    expect(lines.every((l) => typeof l.t === 'number' && ['in', 'out', 'host'].includes(l.dir))).toBe(true);
    // The replay puts the recorded tap counters back into the samples, each tick its own.
    const recorded = lines.filter((l) => l.dir === 'host' && 'net-stats' in l.msg).map((l) => l.msg['net-stats']);
    const replayed = replayFile(out).records.flatMap((r) => (r.body.kind === 'Sample' ? r.body.value.net : []));
    expect(replayed.length).toBeGreaterThan(0);
    expect(replayed).toEqual(recorded.slice(0, replayed.length));
  });

  it('records the QEMU process read on the host as a qemu-process line, so the replay has the live instance id', async () => {
    // A QEMU whose only vCPU thread is this test process: /proc/<pid>/stat exists here.
    const lines = loadFixture('thin-lv-enospc-commit.jsonl').map((l) =>
      Array.isArray(l.msg.return) && (l.msg.return as Array<Record<string, unknown>>)[0]?.['thread-id'] !== undefined
        ? { ...l, msg: { ...l.msg, return: [{ 'cpu-index': 0, 'thread-id': process.pid }] } }
        : l,
    );
    srv = await replayServer(lines);
    dir = mkdtempSync(join(tmpdir(), 'rec-'));
    const out = join(dir, 'out.jsonl');
    await record({ target: unixTarget(srv.path), out, seconds: 0.3, intervalMs: 100 });
    const proc = readQemuProcess([process.pid])!;
    const host = parseTranscript(readFileSync(out, 'utf8')).filter((l) => l.dir === 'host' && 'qemu-process' in l.msg);
    expect(host.map((l) => l.msg)).toEqual([{ 'qemu-process': { 'thread-id': process.pid, 'start-time': proc.startTime, 'boot-id': proc.bootId } }]);
    // The replay derives the id the live agent derived: thread ids + start time + boot id.
    const replayed = replayFile(out).records;
    expect(replayed.length).toBeGreaterThan(0);
    expect(new Set(replayed.map((r) => r.vm.instanceId))).toEqual(new Set([instanceIdOf([process.pid], proc, 0)]));
    // Without the host line (an old transcript) it can only hash the thread ids.
    const bare = join(dir, 'bare.jsonl');
    writeFileSync(
      bare,
      readFileSync(out, 'utf8')
        .split('\n')
        .filter((l) => !l.includes('qemu-process'))
        .join('\n'),
    );
    expect(replayFile(bare).records[0]!.vm.instanceId).toBe(instanceIdOf([process.pid], undefined, 0));
  });
});
