import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { alertRecord } from '#test/support/alerts.js';
import { SingleObjectCodec, fingerprintOf } from './avro.js';
import { outputCodecs } from './outputs.js';

/** alert.avsc as 0.1 wrote it, before blockJob (then `job`), image, runbookUrl and staticLabels (copied from that release, docs left out). */
const ALERT_V1 = {
  type: 'record',
  name: 'Alert',
  namespace: 'qmpipe.processor',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'type', type: 'string' },
    { name: 'state', type: 'string' },
    { name: 'severity', type: 'string' },
    {
      name: 'labels',
      type: {
        type: 'record',
        name: 'AlertLabels',
        fields: [
          { name: 'host', type: 'string' },
          { name: 'vm', type: 'string' },
          { name: 'vmUuid', type: 'string' },
          { name: 'device', type: 'string' },
          { name: 'backingIndex', type: ['null', 'int'], default: null },
          { name: 'node', type: 'string' },
          { name: 'job', type: 'string', default: '' },
        ],
      },
    },
    { name: 't', type: 'long' },
    { name: 'startsAt', type: 'long' },
    { name: 'endsAt', type: ['null', 'long'], default: null },
    { name: 'value', type: 'double' },
    { name: 'threshold', type: 'double' },
    { name: 'message', type: 'string' },
    { name: 'eta', type: ['null', 'long'], default: null },
    { name: 'pausedMs', type: ['null', 'long'], default: null },
  ],
};

describe('alert codec', () => {
  const a = alertRecord({ labels: { blockJob: 'commit0', image: '/dev/vg/lv0' }, staticLabels: [{ name: 'cluster', value: 'eu-1' }] });

  it('round-trips an alert with its image, block job, runbook and static labels', () => {
    const c = outputCodecs().alert;
    expect(c.decode(c.encode(a))).toEqual(a);
  });

  it("reads alerts written before the rename of job to blockJob: job becomes blockJob, the new fields read '' and none", () => {
    const old = new SingleObjectCodec(avro.Type.forSchema(ALERT_V1 as avro.Schema));
    expect(outputCodecs().alert.hasWriter(old.fingerprintHex)).toBe(true);
    const { blockJob, image: _image, ...labels } = a.labels;
    const { runbookUrl: _r, staticLabels: _s, ...rest } = a;
    const v1 = { ...rest, labels: { ...labels, job: blockJob } };
    expect(outputCodecs().alert.decode(old.encode(v1))).toEqual({ ...a, labels: { ...a.labels, image: '' }, runbookUrl: '', staticLabels: [] });
  });

  it('the current schema is another writer than 0.1 (new fingerprint)', () => {
    expect(fingerprintOf(avro.Type.forSchema(ALERT_V1 as avro.Schema)).toString('hex')).not.toBe(outputCodecs().alert.fingerprintHex);
  });
});
