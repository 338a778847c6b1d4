import { describe, expect, it } from 'vitest';
import { createAllowlist, isAllowed, readOnlyAllowlist } from './allowlist.js';

describe('isAllowed', () => {
  const withThreshold = createAllowlist(['block-set-write-threshold']);
  it.each([
    ['qmp_capabilities', true, true],
    ['query-status', true, true],
    ['query-stats-schemas', true, true],
    ['query-named-block-nodes', true, true],
    ['block-set-write-threshold', false, true],
    ['cont', false, false],
    ['stop', false, false],
    ['quit', false, false],
    ['system_reset', false, false],
    ['device_del', false, false],
    ['human-monitor-command', false, false],
    ['block-commit', false, false],
    ['query-', false, false],
    ['Query-status', false, false],
    ['query-status ', false, false],
    ['x-query-foo', false, false],
    ['query-status\ncont', false, false],
    ['', false, false],
  ])('%j → default %s, with write threshold %s', (cmd, byDefault, opted) => {
    expect(isAllowed(readOnlyAllowlist, cmd)).toBe(byDefault);
    expect(isAllowed(withThreshold, cmd)).toBe(opted);
  });
});
