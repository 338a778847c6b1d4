import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '#common/paths.js';
import { configReference } from './reference.js';

describe('config reference', () => {
  const text = configReference();
  it('lists every config key with its default and documentation', () => {
    expect(text).toMatch(/\| `kafka.brokers` \| string\[\] \| \*\*required\*\* \|/);
    expect(text).toMatch(/\| `core.alerts.watermark.chunkMiB` \| integer \| `2560` \|/);
    expect(text).toMatch(/\| `s3.bucket` \| string \| \*\*required\*\* \| length ≥ 3/);
    expect(text).toMatch(/VDSM volume_utilization_chunk_mb/);
  });
  it('schemas/CONFIG.md is up to date (run `npm run docs` after changing a schema)', () => {
    expect(readFileSync(join(packageRoot(), 'schemas', 'CONFIG.md'), 'utf8')).toBe(text);
  });
});
