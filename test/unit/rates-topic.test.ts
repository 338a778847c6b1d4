import { describe, expect, it } from 'vitest';
import { createCore } from '#processor/core/step.js';
import { initialState } from '#processor/core/state/state.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { VM, sampleRec, tap } from '#test/support/records.js';
import { outputCodecs, rateMessages } from '#schemas/codecs/outputs.js';

describe('rates topic messages', () => {
  it('two VMs with one name (two hosts) are each keyed by their own uuid', () => {
    // Regression: the runtime keyed rates by a name → uuid map of the partition, so two VMs
    // named alike got one uuid for both.
    const a = { ...VM, host: 'h1', uuid: 'uuid-a' };
    const b = { ...VM, host: 'h2', uuid: 'uuid-b' };
    const core = createCore(defaultProcessorConfig(), { emitRates: true });
    const recs = [1000, 2000, 3000].flatMap((t, i) => [
      sampleRec(t, { blockDevices: [], net: [tap(100 * i)] }, a),
      sampleRec(t, { blockDevices: [], net: [tap(1000 * i)] }, b),
    ]);
    const rates = core.step(initialState(), recs).outputs.rates.filter((r) => r.series === 'net.tap0.rx.bytes');
    const msgs = rateMessages(rates);
    const decoded = msgs.map((m) => ({ key: String(m.key), rate: outputCodecs().rate.decode(m.value as Buffer) }));
    expect(decoded.map((d) => [d.key, d.rate.vm, d.rate.vmUuid, d.rate.value])).toEqual([
      ['uuid-a', 'vm1', 'uuid-a', 100],
      ['uuid-b', 'vm1', 'uuid-b', 1000],
      ['uuid-a', 'vm1', 'uuid-a', 100],
      ['uuid-b', 'vm1', 'uuid-b', 1000],
    ]);
  });
});
