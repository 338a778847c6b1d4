/**
 * Every alert the core emits on the real fixtures encodes with schemas/avro/alert.avsc
 * (Avro single-object encoding) and decodes back unchanged: the runtime publishes them.
 */
import { describe, expect, it } from 'vitest';
import { SingleObjectCodec, loadSchema } from '#schemas/codecs/avro.js';
import { ProcessorConfig } from '#schemas/config/processor.js';
import type { Alert } from '#schemas/outputs.js';
import { initialState } from '#processor/core/state/state.js';
import { createCore } from '#processor/core/step.js';
import { fixturePath } from '../support/fixtures.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';

type AlertRecord = Omit<Alert, 'kind'>;

describe('alerts on the Avro wire', () => {
  it('round-trips every fixture alert through alert.avsc', () => {
    const codec = new SingleObjectCodec<AlertRecord>(loadSchema('alert'));
    const alerts: Alert[] = [];
    for (const f of ['thin-lv-enospc-commit.jsonl', 'kvm-vcpu-stats.jsonl']) {
      alerts.push(...createCore(ProcessorConfig.parse({})).step(initialState(), transcriptRecords(fixturePath('qmp', f)).records).outputs.alerts);
    }
    alerts.push(...createCore(ProcessorConfig.parse({})).step(initialState(), transcriptRecords(fixturePath('libvirt', 'qmp.jsonl')).records).outputs.alerts);
    expect(new Set(alerts.map((a) => a.type)).size).toBeGreaterThanOrEqual(6);
    for (const a of alerts) {
      const { kind: _kind, ...record } = a;
      const back = codec.decode(codec.encode(record));
      expect({ kind: 'alert', ...back }).toEqual(a);
    }
  });
});
