/**
 * An alert is about an image, not a chain position: on the thin-LV transcript
 * (test/fixtures/qmp/thin-lv-enospc-commit.jsonl) a live snapshot makes top-format the
 * active layer and moves lv0-format (/dev/loop2) from backing index 0 to 1. Its watermark
 * alert keeps its id across that move, and one firing across it does not resolve and
 * re-fire. Checkpoints written before (core state version 5) restore their firing alerts
 * re-keyed, with the ids they fired under.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { defaultProcessorConfig, ProcessorConfig } from '#schemas/config/processor.js';
import type { Alert } from '#schemas/outputs.js';
import { initialState } from '#processor/core/state/state.js';
import { restoreCheckpoint, serializeCheckpoint } from '#processor/core/state/stateCodec.js';
import { createCore } from '#processor/core/step.js';
import { fixturePath } from '../support/fixtures.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';

const { records } = transcriptRecords(fixturePath('qmp', 'thin-lv-enospc-commit.jsonl'));
const snapshotAt = records.find((r) => r.body.kind === 'Sample' && r.body.value.blockDevices.some((d) => d.chain[0]?.formatNode === 'top-format'))!.t;
/** Only the watermark, warning from 30 % allocated: it fires before the snapshot and is still firing when it happens. */
const lowWatermark = ProcessorConfig.parse({
  alerts: {
    disabled: ['time-to-full', 'commit-growth', 'paused-enospc', 'threshold-crossed', 'block-job-error', 'improbable-allocation'],
    watermark: { mode: 'ratio', warningRatio: 0.3, criticalRatio: 0.99 },
  },
});
const line = (a: Alert) => `${a.state} ${a.severity} ${a.labels.device}[${a.labels.backingIndex}] ${a.labels.node} ${a.labels.image}`;

describe('alert identity across a live snapshot', () => {
  it('the watermark alerts on lv0 before and after the snapshot have one id: the image, not its position', () => {
    const { outputs } = createCore(defaultProcessorConfig()).step(initialState(), records);
    const w = outputs.alerts.filter((a) => a.type === 'watermark' && a.state === 'firing');
    expect(w.filter((a) => a.t < snapshotAt).map((a) => a.labels.backingIndex)).toContain(0);
    expect(w.filter((a) => a.t > snapshotAt).map((a) => a.labels.backingIndex)).toContain(1);
    expect(new Set(w.map((a) => a.labels.image))).toEqual(new Set(['/dev/loop2']));
    expect(new Set(w.map((a) => a.id)).size).toBe(1);
  });

  it('a watermark alert firing when the snapshot moves its image neither resolves nor re-fires', () => {
    const { outputs } = createCore(lowWatermark).step(initialState(), records);
    const w = outputs.alerts.filter((a) => a.type === 'watermark');
    expect(w.map(line)).toEqual([
      'firing warning vda[0] lv0-format /dev/loop2',
      'firing critical vda[0] lv0-format /dev/loop2',
      'firing warning vda[0] lv0-format /dev/loop2',
      // the snapshot (no transition), then the commit fills lv0, now at backing index 1:
      'firing critical vda[1] lv0-format /dev/loop2',
    ]);
    expect(w[2]!.t).toBeLessThan(snapshotAt);
    expect(new Set(w.map((a) => a.id)).size).toBe(1);
  });

  it('every alert carries its runbook and the static labels of the config', () => {
    const cfg = ProcessorConfig.parse({
      alerts: { routing: { runbookBase: 'https://docs.example/runbooks.md', staticLabels: { cluster: 'eu-1', region: 'eu' } } },
    });
    const { outputs } = createCore(cfg).step(initialState(), records);
    expect(outputs.alerts.length).toBeGreaterThan(10);
    for (const a of outputs.alerts) {
      expect(a.runbookUrl).toBe(`https://docs.example/runbooks.md#${a.type}`);
      expect(a.staticLabels).toEqual([
        { name: 'cluster', value: 'eu-1' },
        { name: 'region', value: 'eu' },
      ]);
    }
  });

  it('a version 5 checkpoint restores its firing alerts re-keyed by image, keeping their ids', () => {
    const cut = records.findIndex((r) => r.t >= snapshotAt) - 1; // the watermark is firing, lv0 at backing index 0
    const core = createCore(lowWatermark);
    const whole = core.step(initialState(), records).outputs.alerts;
    const first = core.step(initialState(), records.slice(0, cut));
    // The same state as version 5 kept it: keyed by position and node, `job`, no image, the old id.
    const v5 = structuredClone(first.state);
    const vm = Object.values(v5.vms)[0]!;
    const [fired] = Object.values(vm.alerts);
    expect(fired?.type).toBe('watermark');
    const { blockJob: _b, image: _i, ...labels } = fired!.labels;
    vm.alerts = { [`watermark|vda|0|lv0-format|`]: { ...fired!, id: 'f00dfeedf00dfeed', labels: { ...labels, job: '' } as never } };
    const raw = inflateRawSync(serializeCheckpoint(v5));
    raw[0] = 5;
    const restored = restoreCheckpoint(deflateRawSync(raw));
    const [[key, a]] = Object.entries(restored.vms[vm.uuid]!.alerts);
    expect(key).toBe('watermark|vda|/dev/loop2|');
    expect(a.id).toBe('f00dfeedf00dfeed');
    expect(a.labels).toEqual(fired!.labels);
    expect(Object.getPrototypeOf(restored.vms[vm.uuid]!.alerts)).toBeNull();
    // It continues like the uninterrupted run, under the id it fired under: no second alert.
    const rest = core.step(restored, records.slice(cut)).outputs.alerts;
    const own = (xs: Alert[]) => xs.filter((x) => x.type === 'watermark').map(line);
    expect(own([...first.outputs.alerts, ...rest])).toEqual(own(whole));
    expect(new Set(rest.filter((x) => x.type === 'watermark').map((x) => x.id))).toEqual(new Set(['f00dfeedf00dfeed']));
  });
});
