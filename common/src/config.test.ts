import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig, type EnvBinding } from './config.js';
import { ConfigError } from './errors.js';

const Schema = z
  .object({
    kafka: z.object({ brokers: z.array(z.string()).min(1), sasl: z.object({ username: z.string() }).strict().optional() }).strict(),
    lateness: z.number().int().default(10),
    path: z.boolean().default(false),
    core: z.object({ x: z.number() }).strict().optional(),
  })
  .strict();
const ENV: EnvBinding[] = [
  { name: 'B', path: 'kafka.brokers', kind: 'list', doc: '' },
  { name: 'U', path: 'kafka.sasl.username', kind: 'string', doc: '' },
  { name: 'L', path: 'lateness', kind: 'number', doc: '' },
  { name: 'P', path: 'path', kind: 'boolean', doc: '' },
  { name: 'C', path: 'core', kind: 'json', doc: '' },
];

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qmpipe-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ kafka: { brokers: ['file:1'] }, lateness: 5 }));

  it('file, then environment, then flags', () => {
    expect(loadConfig(Schema, 't', ENV, { file, env: {} })).toMatchObject({ kafka: { brokers: ['file:1'] }, lateness: 5 });
    expect(loadConfig(Schema, 't', ENV, { file, env: { B: 'env:1, env:2', U: 'me', L: '7', P: 'true', C: '{"x":1}' } })).toEqual({
      kafka: { brokers: ['env:1', 'env:2'], sasl: { username: 'me' } },
      lateness: 7,
      path: true,
      core: { x: 1 },
    });
    expect(loadConfig(Schema, 't', ENV, { file, env: { B: 'env:1' }, overrides: { 'kafka.brokers': ['flag:1'], lateness: undefined } }).kafka.brokers).toEqual([
      'flag:1',
    ]);
  });

  it('without a file: the value, else QMPIPE_CONFIG, else {}', () => {
    expect(loadConfig(Schema, 't', ENV, { raw: { kafka: { brokers: ['raw:1'] } } }).kafka.brokers).toEqual(['raw:1']);
    expect(loadConfig(Schema, 't', ENV, { env: { QMPIPE_CONFIG: '{"kafka":{"brokers":["q:1"]}}' } }).kafka.brokers).toEqual(['q:1']);
    expect(loadConfig(Schema, 't', ENV, { env: { B: 'e:1' } }).kafka.brokers).toEqual(['e:1']);
  });

  it.each([
    [{ env: { B: 'e:1', L: 'soon' } }, /^L: 'soon' is not a number/],
    [{ env: { B: 'e:1', P: 'maybe' } }, /^P: 'maybe' is not a boolean/],
    [{ env: { B: 'e:1', C: '{' } }, /^C is not JSON/],
    [{ env: { QMPIPE_CONFIG: 'nope' } }, /^QMPIPE_CONFIG is not JSON/],
    [{ env: {} }, /^t: kafka: /],
    [{ file: join(dir, 'missing.json') }, /^cannot read t /],
    [{ env: { B: 'e:1', U: 'me' }, raw: { kafka: { brokers: [], surprise: 1 } } }, /^t: kafka: Unrecognized key/],
  ])('%j fails with a clear ConfigError', (src, msg) => {
    expect(() => loadConfig(Schema, 't', ENV, src)).toThrow(ConfigError);
    expect(() => loadConfig(Schema, 't', ENV, src)).toThrow(msg);
  });
});
