import { describe, expect, it } from 'vitest';
import { parseConfig } from '#common/config.js';
import { ConfigError } from '#common/errors.js';
import { ProcessorConfig, defaultProcessorConfig } from './processor.js';

const parse = (raw: unknown) => parseConfig(ProcessorConfig, raw, 'processor config');

describe('processor config', () => {
  it('has VDSM-like defaults', () => {
    const c = defaultProcessorConfig();
    expect(c.alerts.watermark).toMatchObject({ mode: 'auto', chunkMiB: 2560, utilizationPercent: 20, warningRatio: 0.8, criticalRatio: 0.95 });
    expect(c.alerts.improbable.capacityFactor).toBe(1.1);
    expect(c.rates).toEqual({ sampleIntervalMs: 1000, gapMultiple: 3 });
    expect(c.growth.method).toBe('window');
    expect(c.rollup.resolutionsMs).toEqual([60_000, 3_600_000, 86_400_000]);
  });
  it('is strict and fails with the zod path', () => {
    expect(() => parse({ alerts: { watermark: { chunkMb: 1 } } })).toThrow(ConfigError);
    expect(() => parse({ alerts: { watermark: { warningRatio: 0.9, criticalRatio: 0.8 } } })).toThrow(/alerts\.watermark/);
    expect(() => parse({ alerts: { disabled: ['nope'] } })).toThrow(/alerts\.disabled\.0/);
    expect(ProcessorConfig.parse({ state: { ttlSeconds: 60 } }).state).toEqual({
      ttlSeconds: 60,
      maxSeries: 2_000_000,
      maxSeriesPerVm: 50_000,
      sweepIntervalMs: 5000,
    });
  });
});
