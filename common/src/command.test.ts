import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { ProcessorConfig, defaultProcessorConfig } from '#schemas/config/processor.js';
import { UsageError, parseArgs, parseProcessorConfig } from './command.js';

describe('processor config', () => {
  it('has VDSM-like defaults', () => {
    const c = defaultProcessorConfig();
    expect(c.alerts.watermark).toMatchObject({ mode: 'auto', chunkMiB: 2560, utilizationPercent: 20, warningRatio: 0.8, criticalRatio: 0.95 });
    expect(c.alerts.improbable.capacityFactor).toBe(1.1);
    expect(c.rates).toEqual({ sampleIntervalMs: 1000, gapMultiple: 3 });
    expect(c.growth.method).toBe('window');
    expect(c.rollup.resolutionsMs).toEqual([60_000, 3_600_000]);
  });
  it('is strict and fails with the zod path', () => {
    expect(() => parseProcessorConfig({ alerts: { watermark: { chunkMb: 1 } } })).toThrow(ConfigError);
    expect(() => parseProcessorConfig({ alerts: { watermark: { warningRatio: 0.9, criticalRatio: 0.8 } } })).toThrow(/alerts\.watermark/);
    expect(() => parseProcessorConfig({ alerts: { disabled: ['nope'] } })).toThrow(/alerts\.disabled\.0/);
    expect(ProcessorConfig.parse({ state: { ttlSeconds: 60 } }).state).toEqual({ ttlSeconds: 60, maxSeries: 2_000_000, sweepIntervalMs: 5000 });
  });
});

describe('parseArgs', () => {
  const spec = { flags: ['backing'], withValue: ['emit', 'config'] };
  it('parses flags, values in both forms and positionals', () => {
    const a = parseArgs(['f.jsonl', '--backing', '--emit', 'rates', '--config=c.json'], spec);
    expect(a.positional).toEqual(['f.jsonl']);
    expect([...a.flags]).toEqual(['backing']);
    expect(Object.fromEntries(a.values)).toEqual({ emit: 'rates', config: 'c.json' });
  });
  it('rejects unknown options and missing values', () => {
    expect(() => parseArgs(['--nope'], spec)).toThrow(UsageError);
    expect(() => parseArgs(['--emit'], spec)).toThrow(/needs a value/);
  });
});
