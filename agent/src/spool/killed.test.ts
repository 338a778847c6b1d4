/**
 * Regression: on SIGKILL or the OOM killer the spool's memory tier (up to spool.memoryBytes,
 * 16 MiB) was lost and nothing counted it. Now the next start on the same dir counts those
 * records (`unclean-exit`), from the marker the spool keeps (memoryMarker.ts). The spool
 * runs in a child process that gets a real SIGKILL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleForNode, outputOf, spawnNode } from '#test/support/nodeChild.js';
import { MARKER_STEP } from './memoryMarker.js';
import { Spool, type DropReason } from './spool.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the child spool with `push`, `ack` and `more` records; SIGKILLs it once ready; returns what it held in memory. */
async function killedChild(script: string, spoolDir: string, push: number, ack: number, more: number): Promise<number> {
  const env = { QMPIPE_TEST_SPOOL_DIR: spoolDir, QMPIPE_TEST_PUSH: String(push), QMPIPE_TEST_ACK: String(ack), QMPIPE_TEST_MORE: String(more) };
  const child = spawnNode(script, [], env);
  let held = -1;
  const out = await outputOf(child, (line) => {
    if (!line.startsWith('ready ')) return;
    held = Number(line.slice(6));
    child.kill('SIGKILL');
  });
  expect(out.signal, out.stderr).toBe('SIGKILL');
  return held;
}

function restart(spoolDir: string): { spool: Spool; drops: Map<DropReason, number> } {
  const drops = new Map<DropReason, number>();
  const spool = new Spool({ memoryBytes: 1 << 20, dir: spoolDir, diskBytes: 1 << 30, onDrop: (n, reason) => drops.set(reason, (drops.get(reason) ?? 0) + n) });
  return { spool, drops };
}

describe('the spool killed with records in memory', () => {
  it('the next start counts them as unclean-exit drops; a clean stop and restart counts none', async () => {
    dir = mkdtempSync(join(tmpdir(), 'spool-kill-'));
    const script = await bundleForNode('test/support/spoolKillChild.ts', join(dir, 'child'));
    const spoolDir = join(dir, 'spool');

    // 1000 pushed, a batch of 100 acknowledged: 900 in memory, the marker exact (a decrease is written at once).
    expect(await killedChild(script, spoolDir, 1000, 100, 0)).toBe(900);
    const first = restart(spoolDir);
    expect(first.drops).toEqual(new Map([['unclean-exit', 900]]));
    expect(first.spool.records).toBe(0); // nothing of it was on disk

    // Records pushed after the last write are counted in steps: never more than were lost, at most STEP - 1 fewer.
    first.spool.persist(); // a clean stop of that start
    const held = await killedChild(script, spoolDir, 1000, 100, 50);
    expect(held).toBe(950);
    const second = restart(spoolDir);
    expect(second.drops.get('unclean-exit')).toBeLessThanOrEqual(950);
    expect(second.drops.get('unclean-exit')).toBeGreaterThan(950 - MARKER_STEP);

    // A clean stop (persist) leaves nothing to count, and the records come back from disk.
    for (let i = 0; i < 10; i++) second.spool.push({ key: 'vm-0', value: Buffer.from(`r${i}`) });
    second.spool.persist();
    const third = restart(spoolDir);
    expect(third.drops).toEqual(new Map());
    expect(third.spool.records).toBe(10);
  });
});
