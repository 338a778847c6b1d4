/**
 * Alert records for the consumers' tests: a hand-made one (`alertRecord`), and the
 * real transitions the processor core emits over a shared fixture transcript
 * (`fixtureAlerts`), as they would be read back from the alerts topic.
 */
import { fixturePath } from './fixtures.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { initialState } from '#processor/core/state/state.js';
import { createCore } from '#processor/core/step.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { toAlertRecord, type AlertRecord } from '#schemas/codecs/outputs.js';
import { outputCodecs } from '#schemas/codecs/outputs.js';

export function alertRecord(p: Partial<Omit<AlertRecord, 'labels'>> & { labels?: Partial<AlertRecord['labels']> } = {}): AlertRecord {
  const { labels, ...rest } = p;
  return {
    id: 'a1',
    type: 'watermark',
    state: 'firing',
    severity: 'warning',
    labels: { host: 'h1', vm: 'vm1', vmUuid: 'u1', device: 'vda', backingIndex: 0, node: 'fmt0', blockJob: '', image: '/dev/vg/img0', ...labels },
    t: 1_000,
    startsAt: 1_000,
    endsAt: null,
    value: 0.85,
    threshold: 0.8,
    message: 'm',
    eta: null,
    pausedMs: null,
    runbookUrl: 'docs/runbooks.md#watermark',
    staticLabels: [],
    ...rest,
  };
}

/** The core's alert transitions over a transcript, each through the alert codec's encode/decode. */
export function fixtureAlerts(name = 'thin-lv-enospc-commit.jsonl', host?: string): AlertRecord[] {
  const { records } = transcriptRecords(fixturePath('qmp', name), host === undefined ? {} : { host });
  const core = createCore(defaultProcessorConfig());
  const state = initialState();
  const codec = outputCodecs().alert;
  const out: AlertRecord[] = [];
  for (const rec of records) {
    for (const a of core.step(state, [rec]).outputs.alerts) out.push(codec.decode(codec.encode(toAlertRecord(a))));
  }
  return out;
}
