/**
 * Issue #13, item 4: topology changes are seen at once. The shared thin-LV capture polls
 * the slow group (query-block, query-named-block-nodes) every second; the agent's default
 * cadence reads it one tick in ten. After the live snapshot (top-format on a qcow2 file)
 * and when the commit job starts, the chain must not wait for the next slow tick, and no
 * image's metadata may be reported for another one.
 *
 * - The agent: a real VmPoller at the default 1:10 cadence (50/500 ms) against a QMP
 *   server that answers from the full capture (what that QEMU said at each moment), with
 *   the capture's host observations. Its chain rows must be the capture's: the same node
 *   and filename at every position of every tick; allocation as captured; capacity and
 *   physical values the capture showed for that node since the run's last slow read.
 * - A transcript an older agent recorded at that cadence (thin_slow.py): its replay may not
 *   know a new image yet, but must never report another image's values for it, and what it
 *   does not know yet (capacity, physical) is absent (null), never 0.
 */
import { describe, expect, it } from 'vitest';
import type { HostReader } from '#agent/host/sysfs.js';
import { VmPoller } from '#agent/poller/vmPoller.js';
import { unixTarget } from '#agent/poller/vmTarget.js';
import { sampleBuilder } from '#agent/sample/sampleBuilder.js';
import { createTelemetry } from '#agent/telemetry.js';
import type { ChainElement, Sample } from '#schemas/types.js';
import { replayFile } from '#tools/transcript/replay.js';
import { ticksOf } from '#tools/transcript/segmenter.js';
import { replayServer } from '#test/support/fakeQmpServer.js';
import { faultVariant } from '#test/support/faultVariants.js';
import { fixtureLines, fixturePath } from '#test/support/fixtures.js';
import { loadFixture } from '#test/support/transcriptLines.js';

const THIN = 'thin-lv-enospc-commit.jsonl';
const samplesOf = (path: string): Sample[] => replayFile(path).records.flatMap((r) => (r.body.kind === 'Sample' ? [r.body.value] : []));
const full = samplesOf(fixturePath('qmp', THIN));
const rows = (s: Sample) => s.blockDevices.flatMap((d) => d.chain.map((c) => ({ dev: d.dev, c })));

/** Values the capture showed for `node` at ticks from..to. */
function seen(from: number, to: number, node: string, pick: (c: ChainElement) => number | null): Set<number | null> {
  const out = new Set<number | null>();
  for (let j = Math.max(0, from); j <= to; j++) for (const { c } of rows(full[j]!)) if (c.formatNode === node) out.add(pick(c));
  return out;
}

/**
 * Problems of `run` (sample k ↔ capture tick k): rows must match the capture's (node and,
 * unless `unknownOk`, filename), values must have been seen for that node since the run's
 * last slow read (unknown ones allowed with `unknownOk`).
 */
function problems(run: Sample[], unknownOk: boolean): string[] {
  const out: string[] = [];
  let lastSlow = 0;
  run.forEach((s, k) => {
    if (s.slowRefresh) lastSlow = k;
    const want = rows(full[k]!);
    const got = rows(s);
    if (got.map((r) => `${r.dev}/${r.c.formatNode}`).join() !== want.map((r) => `${r.dev}/${r.c.formatNode}`).join())
      out.push(`tick ${k}: nodes ${got.map((r) => r.c.formatNode)} vs ${want.map((r) => r.c.formatNode)}`);
    got.forEach(({ c }, i) => {
      const w = want[i]?.c;
      if (!w) return;
      if (c.filename !== w.filename && !(unknownOk && c.filename === '')) out.push(`tick ${k} ${c.formatNode}: filename ${c.filename} vs ${w.filename}`);
      if (c.allocation !== w.allocation) out.push(`tick ${k} ${c.formatNode}: allocation ${c.allocation} vs ${w.allocation}`);
      for (const [field, pick] of [
        ['capacity', (x: ChainElement) => x.capacity],
        ['physical', (x: ChainElement) => x.physical],
      ] as const) {
        const v = pick(c);
        const ok = seen(lastSlow, k, c.formatNode, pick);
        if (!ok.has(v) && !(unknownOk && v === null)) out.push(`tick ${k} ${c.formatNode}: ${field} ${v} not seen since tick ${lastSlow} (${[...ok]})`);
      }
    });
  });
  return out;
}

describe('the chain at the default slow cadence (1 tick in 10)', () => {
  it('the agent reads the slow group at once when the topology changes: the capture’s rows, no stale values', async () => {
    // Without its query-block-jobs (recorded from tick 31 on only): the server would match the
    // agent's earlier ones to them and skip ahead a tick. The agent's get an error reply.
    const jobIds = new Set(
      loadFixture(THIN)
        .filter((l) => l.dir === 'out' && l.msg.execute === 'query-block-jobs')
        .map((l) => l.msg.id),
    );
    const capture = loadFixture(THIN).filter((l) => !jobIds.has(l.msg.id));
    const hostTicks = ticksOf(fixtureLines('qmp', THIN)).map((t) => t.host.blockdevSizes);
    const srv = await replayServer(capture, { loop: false });
    const served = () => srv.received.filter((c) => c.execute === 'query-blockstats' && c.arguments === undefined).length;
    // The host as it was at the capture tick the server is answering.
    const host = {
      blockdevSize: (path: string) => hostTicks[Math.max(0, served() - 1)]?.[path],
      fileAllocation: () => undefined, // the capture has no file stat lines
      netStats: () => undefined,
      qemuProcess: () => undefined,
      qemuTaps: () => undefined,
      qemuThreads: () => undefined,
      processStats: () => undefined,
    } as HostReader;
    const samples: Array<{ k: number; s: Sample }> = [];
    const poller = new VmPoller(
      unixTarget(srv.path),
      {
        fastIntervalMs: 50,
        slowIntervalMs: 500,
        statsTargets: ['vm', 'vcpu'],
        blockstatsNodes: true,
        commandTimeoutMs: 1000,
        connectTimeoutMs: 1000,
        handshakeTimeoutMs: 1000,
        maxLineBytes: 1 << 20,
        staleAfterMissedTicks: 3,
        reconnect: { initialRetryTime: 50, multiplier: 2, factor: 0, maxRetryTime: 200, retries: 1 },
      },
      {
        builder: sampleBuilder,
        hostReader: host,
        telemetry: createTelemetry(),
        sink: { publish: (_k, r) => (r.body.kind === 'Sample' ? samples.push({ k: served() - 1, s: r.body.value }) : undefined) },
      },
    );
    poller.start();
    try {
      for (const t0 = Date.now(); served() < full.length && Date.now() - t0 < 20_000; ) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await poller.stop(500);
      await srv.close();
    }
    const run = samples.filter((x) => x.k < full.length);
    expect(run.map((x) => x.k)).toEqual(full.map((_, k) => k)); // one sample per capture tick, none missed
    const slowTicks = run.flatMap((x, k) => (x.s.slowRefresh ? [k] : []));
    const found = problems(
      run.map((x) => x.s),
      false,
    );
    console.log(`[agent-topology] agent: slow group read at ticks ${slowTicks.join(',')}; ${found.length} problems`);
    expect(found).toEqual([]);
    expect(slowTicks.length).toBeLessThan(full.length / 2); // still the slow cadence otherwise
  });

  it('a transcript recorded at that cadence by an older agent replays without another image’s values', () => {
    const thinned = samplesOf(faultVariant('thin_slow', THIN, 10));
    expect(thinned).toHaveLength(full.length);
    const found = problems(thinned, true);
    console.log(`[agent-topology] thinned replay: ${found.length} problems${found.length ? `, first: ${found[0]}` : ''}`);
    expect(found).toEqual([]);
  });
});
