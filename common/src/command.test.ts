import { describe, expect, it } from 'vitest';
import { UsageError, parseCommandArgs } from './command.js';

describe('parseCommandArgs', () => {
  const options = { backing: { type: 'boolean' }, emit: { type: 'string' }, config: { type: 'string' } } as const;
  it('parses flags, values in both forms and positionals', () => {
    const a = parseCommandArgs(['f.jsonl', '--backing', '--emit', 'rates', '--config=c.json'], options);
    expect(a.positionals).toEqual(['f.jsonl']);
    expect(a.values).toEqual({ backing: true, emit: 'rates', config: 'c.json' });
  });
  it('rejects unknown options and missing values as usage errors', () => {
    expect(() => parseCommandArgs(['--nope'], options)).toThrow(UsageError);
    expect(() => parseCommandArgs(['--emit'], options)).toThrow(/argument missing/);
  });
});
