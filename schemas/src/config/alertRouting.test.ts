import { describe, expect, it } from 'vitest';
import { ProcessorConfig } from './processor.js';

const routing = (r: unknown) => ProcessorConfig.safeParse({ alerts: { routing: r } });

describe('alerts.routing', () => {
  it('defaults: runbooks under docs/runbooks.md, no static labels', () => {
    expect(ProcessorConfig.parse({}).alerts.routing).toEqual({ runbookBase: 'docs/runbooks.md', runbooks: {}, staticLabels: {} });
  });

  it('takes Prometheus label names with bounded values, and per-type runbooks', () => {
    const r = routing({ staticLabels: { cluster: 'eu-1', region_2: 'eu', _x: 'y' }, runbooks: { stale: 'https://wiki/stale' } });
    expect(r.success).toBe(true);
    expect(r.data?.alerts.routing.staticLabels).toEqual({ cluster: 'eu-1', region_2: 'eu', _x: 'y' });
  });

  it.each([
    ['a name that is no Prometheus label name', { 'cluster-name': 'a' }, 'a Prometheus label name'],
    ['a name starting with a digit', { '1st': 'a' }, 'a Prometheus label name'],
    ['a reserved name (__)', { __name__: 'a' }, 'a Prometheus label name'],
    ['__proto__ (a record schema would drop it silently)', JSON.parse('{"__proto__": "a"}'), '__proto__: a Prometheus label name'],
    ['a label of the alert itself', { device: 'vdb' }, 'device is a label of the alert itself'],
    ['severity', { severity: 'page' }, 'severity is a label of the alert itself'],
    ['an empty value', { cluster: '' }, '>=1'],
    ['a value past 256 characters', { cluster: 'x'.repeat(257) }, '<=256'],
    ['more than 16 labels', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`l${i}`, 'v'])), 'at most 16 labels'],
  ])('refuses %s', (_what, labels, message) => {
    const r = routing({ staticLabels: labels });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(message);
  });

  it('refuses a runbook for an alert type that does not exist', () => {
    expect(routing({ runbooks: { 'no-such-alert': 'x' } }).success).toBe(false);
  });
});
