/**
 * Issue #13, item 3, at the agent level: the spool disk fills up (a 32 KiB tmpfs) while
 * Kafka is down. ENOSPC used to escape spool.push: on the QMP event path it was thrown
 * from a socket handler (an uncaught exception: the agent crashed), on the sample path
 * it failed the tick. Now the agent keeps polling and the drops are counted on /metrics.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent } from '#agent/main.js';
import { loadAgentConfig } from '#schemas/config/agent.js';
import { replayServer } from '#test/support/fakeQmpServer.js';
import { mountTinyFs } from '#test/support/tmpfs.js';
import { loadFixture } from '#test/support/transcriptLines.js';

const fs = mountTinyFs(32);
if (!fs.ok) console.warn(`[agent-spool-full] SKIP: ${fs.reason}`);
afterAll(() => {
  if (fs.ok) fs.unmount();
});

describe('agent with its spool on a full disk and Kafka down', () => {
  it.skipIf(!fs.ok)('keeps polling, never crashes, counts what the disk could not take', async () => {
    if (!fs.ok) return;
    const crashes: unknown[] = [];
    const onCrash = (err: unknown) => crashes.push(err);
    process.on('uncaughtException', onCrash);
    // The thin-LV transcript: 23 events (BLOCK_IO_ERROR, STOP, BLOCK_JOB_ERROR ×9, …) between its ticks.
    const srv = await replayServer(loadFixture('thin-lv-enospc-commit.jsonl'));
    try {
      const cfg = loadAgentConfig({
        raw: {
          vms: { sockets: [{ path: srv.path }] },
          sampling: { fastIntervalMs: 20, slowIntervalMs: 100 },
          kafka: { brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200, requestTimeoutMs: 500 },
          spool: { dir: join(fs.dir, 'spool'), memoryBytes: 4096 },
          metrics: { listen: 'off' },
          drainTimeoutMs: 200,
        },
      });
      const agent = await startAgent(cfg);
      await new Promise((r) => setTimeout(r, 3000));
      const polls = agent.telemetry.polls.value({ vm: 'qmp' });
      const events = agent.telemetry.recordsQueued.value({ kind: 'QmpEvent' });
      const failed = agent.telemetry.spoolDropped.value({ reason: 'disk-write-failed' });
      const missed = agent.telemetry.ticksMissed.value({ vm: 'qmp' });
      const connects = agent.telemetry.reconnects.value({ vm: 'qmp' });
      const stopError = await agent.stop().then(
        () => undefined,
        (e: unknown) => e,
      );
      console.log(
        `[agent-spool-full] ${polls} polls, ${events} events queued, ${failed} records dropped (disk-write-failed), ${missed} ticks missed, ${connects} connects, ` +
          `uncaught exceptions ${crashes.length} (${crashes.map(String).slice(0, 1)}), stop() threw: ${String(stopError)}`,
      );
      expect(crashes).toEqual([]);
      expect(stopError).toBeUndefined();
      expect(missed).toBe(0); // a full spool disk is not the VM's fault: no tick fails, no reconnect
      expect(connects).toBe(1);
      expect(polls).toBeGreaterThan(50);
      expect(events).toBeGreaterThan(10);
      expect(failed).toBeGreaterThan(0);
    } finally {
      process.off('uncaughtException', onCrash);
      await srv.close();
    }
  });
});
