/**
 * Issue #13, item 1: a reconnect of the agent to the same QEMU process is not a new
 * instance. The shared thin-LV capture with the connection preamble repeated during
 * the block-commit (test/fixtures/tools/inject_reconnect.py: greeting .. query-cpus-fast
 * again, same vCPU thread ids) must give exactly the alert transitions of the capture.
 */
import { describe, expect, it } from 'vitest';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import type { RawRecord } from '#schemas/types.js';
import { initialState } from '#processor/core/state/state.js';
import { createCore } from '#processor/core/step.js';
import { alertLine } from '#tools/replay/lines.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { faultVariant } from '#test/support/faultVariants.js';
import { fixturePath } from '#test/support/fixtures.js';

const THIN = 'thin-lv-enospc-commit.jsonl';

function alertsOf(records: readonly RawRecord[]): string[] {
  const core = createCore(defaultProcessorConfig());
  const state = initialState();
  return records.flatMap((r) => core.step(state, [r]).outputs.alerts.map(alertLine));
}

describe('replay of a reconnect to the same QEMU during the block-commit', () => {
  const full = transcriptRecords(fixturePath('qmp', THIN)).records;
  // Line 612 is a tick's query-status, 59 lines after block-commit (line 553) and
  // before the commit hits ENOSPC (line 692): commit-growth and threshold-crossed fire.
  const reconnected = transcriptRecords(faultVariant('inject_reconnect', THIN, 612)).records;

  it('keeps one instance id', () => {
    expect(new Set(full.map((r) => r.vm.instanceId)).size).toBe(1);
    expect(new Set(reconnected.map((r) => r.vm.instanceId))).toEqual(new Set([full[0]!.vm.instanceId]));
  });

  it('gives the same alert transitions as the capture', () => {
    const expected = alertsOf(full);
    expect(expected).toHaveLength(18);
    expect(alertsOf(reconnected)).toEqual(expected);
  });
});
