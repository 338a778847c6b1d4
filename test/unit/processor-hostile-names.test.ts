/**
 * Names are data: the thin-LV capture with its job id, node names, VM name and host
 * renamed to `__proto__`, `constructor`, `toString`, `valueOf`, `hasOwnProperty`,
 * `propertyIsEnumerable` gives
 * the same alert transitions as the original (regression: with plain-object maps,
 * commit-growth never fired nor resolved, and the VM went stale).
 */
import { describe, expect, it } from 'vitest';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import type { Alert } from '#schemas/outputs.js';
import { initialState } from '#processor/core/state/state.js';
import { restoreCheckpoint, serializeCheckpoint } from '#processor/core/state/stateCodec.js';
import { createCore } from '#processor/core/step.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { fixturePath } from '../support/fixtures.js';
import { nameBack, writeRenamedTranscript } from '../support/hostileNames.js';

const file = fixturePath('qmp', 'thin-lv-enospc-commit.jsonl');
const names = new Map([
  ['lv0-format', '__proto__'],
  ['top-format', 'constructor'],
  ['lv0-storage', 'toString'],
  ['top-storage', 'valueOf'],
  ['commit0', 'hasOwnProperty'],
]);

/** The alerts of a transcript as `qmpipe replay` computes them (one record per step). */
function replayAlerts(path: string, host: string): Alert[] {
  const { records } = transcriptRecords(path, { host });
  const core = createCore(defaultProcessorConfig());
  const state = initialState();
  return records.flatMap((rec) => core.step(state, [rec]).outputs.alerts);
}

/** Transitions with names mapped back; the id (a hash of the names) left out. Sorted within a time. */
function transitions(alerts: readonly Alert[], back: ReadonlyMap<string, string>): string[] {
  return alerts.map(({ id: _id, ...a }) => `${String(a.t).padStart(15, '0')} ${nameBack(JSON.stringify(a), back)}`).sort();
}

describe('hostile names in a real capture', () => {
  const original = replayAlerts(file, 'h1');

  it('renamed job, nodes and VM: the same alerts, transition for transition', () => {
    const all = new Map([...names, ['cap-thin', 'propertyIsEnumerable']]);
    const alerts = replayAlerts(writeRenamedTranscript(file, all), 'h1');
    expect(original.length).toBe(18);
    expect(original.some((a) => a.type === 'commit-growth')).toBe(true);
    expect(alerts.length).toBe(original.length);
    expect(transitions(alerts, all)).toEqual(transitions(original, new Map()));
    expect(new Set(alerts.map((a) => a.id)).size).toBe(new Set(original.map((a) => a.id)).size);
  });

  it('a checkpoint of a state keyed by those names restores and continues like the uninterrupted run', () => {
    const all = new Map([...names, ['cap-thin', 'propertyIsEnumerable']]);
    const { records } = transcriptRecords(writeRenamedTranscript(file, all), { host: '__proto__' });
    const whole = replayAlerts(writeRenamedTranscript(file, all), '__proto__');
    for (const cut of [Math.floor(records.length / 2), records.length - 40]) {
      const first = initialState();
      const alerts = createCore(defaultProcessorConfig()).step(first, records.slice(0, cut)).outputs.alerts;
      const restored = restoreCheckpoint(serializeCheckpoint(first));
      expect(Object.keys(restored.vms)).toEqual(['name:propertyIsEnumerable']);
      expect(Object.keys(restored.hosts)).toEqual(['__proto__']);
      alerts.push(...createCore(defaultProcessorConfig()).step(restored, records.slice(cut)).outputs.alerts);
      expect(alerts).toEqual(whole);
    }
  });

  it('a host named constructor: the same alerts', () => {
    const alerts = replayAlerts(file, 'constructor');
    expect(transitions(alerts, new Map([['h1', 'constructor']]))).toEqual(transitions(original, new Map()));
  });
});
