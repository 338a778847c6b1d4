import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { SingleObjectCodec } from './avro.js';
import { outputCodecs, rateMessages } from './outputs.js';

/** rate.avsc as 0.1 wrote it, before `host` (copied from that release). */
const RATE_V1 = {
  type: 'record',
  name: 'Rate',
  namespace: 'qmpipe.processor',
  fields: [
    { name: 'kind', type: 'string', default: 'rate' },
    { name: 't', type: 'long' },
    { name: 'vm', type: 'string' },
    { name: 'vmUuid', type: 'string' },
    { name: 'series', type: 'string' },
    { name: 'value', type: 'double' },
    { name: 'unit', type: 'string' },
  ],
};

describe('rate codec', () => {
  const rate = { kind: 'rate' as const, t: 1_700_000_000_000, vm: 'vm1', vmUuid: 'u1', series: 'block.vda.wr.bytes', value: 8.5, unit: 'bytes/s', host: 'hv1' };

  it('round-trips a rate with its host', () => {
    const [m] = rateMessages([rate]);
    expect(m!.key).toBe('u1');
    expect(outputCodecs().rate.decode(m!.value as Buffer)).toEqual(rate);
  });

  it("reads rates written before host existed, with host ''", () => {
    const old = new SingleObjectCodec(avro.Type.forSchema(RATE_V1 as avro.Schema));
    const { host: _host, ...v1 } = rate;
    expect(outputCodecs().rate.decode(old.encode(v1))).toEqual({ ...rate, host: '' });
  });
});
