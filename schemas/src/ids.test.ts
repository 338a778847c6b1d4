import { describe, expect, it } from 'vitest';
import { sampleRec, device, element, VM } from '#test/support/records.js';
import { MAX_NAME_LENGTH, recordIdProblem, vmUuidProblem } from './ids.js';

describe('VM uuids', () => {
  it.each([
    ['550e8400-e29b-41d4-a716-446655440000', true],
    ['550E8400-E29B-41D4-A716-446655440000', true],
    ['name:cap-thin', true],
    ['name:__proto__', true],
    [`name:${'x'.repeat(MAX_NAME_LENGTH)}`, true],
    [`name:${'x'.repeat(MAX_NAME_LENGTH + 1)}`, false],
    ['name:', false],
    ['__proto__', false],
    ['constructor', false],
    ['', false],
    ['550e8400e29b41d4a716446655440000', false],
    ['550e8400-e29b-41d4-a716-4466554400000', false],
  ])('%s: valid %s', (uuid, valid) => {
    expect(vmUuidProblem(uuid) === null).toBe(valid);
  });
});

describe('names in a record', () => {
  const long = 'n'.repeat(MAX_NAME_LENGTH + 1);
  it('any characters, hostile ones included, within the length bound', () => {
    const names = ['__proto__', 'constructor', 'toString', '', 'a b\u0000c', 'x'.repeat(MAX_NAME_LENGTH)];
    for (const n of names) {
      const rec = sampleRec(1_000, { jobs: [], blockDevices: [device({ dev: n, nodeName: n, chain: [element({ formatNode: n, storageNode: n })] })] });
      expect(recordIdProblem({ ...rec, vm: { ...VM, host: n, name: n } })).toBeNull();
    }
  });

  it.each([
    ['node name', { blockDevices: [device({ chain: [element({ formatNode: long })] })] }],
    ['device name', { blockDevices: [device({ dev: long })] }],
    ['file name', { blockDevices: [device({ chain: [element({ filename: `/${'f'.repeat(5000)}` })] })] }],
  ])('a %s past the bound', (what, sample) => {
    expect(recordIdProblem(sampleRec(1_000, sample))).toMatch(new RegExp(`^${what} of \\d+ characters`));
  });

  it('a VM name or uuid that breaks the rules', () => {
    expect(recordIdProblem({ ...sampleRec(1_000), vm: { ...VM, name: long } })).toMatch(/^VM name of/);
    expect(recordIdProblem({ ...sampleRec(1_000), vm: { ...VM, uuid: '__proto__' } })).toMatch(/neither a uuid nor name:<VM name>/);
  });
});
