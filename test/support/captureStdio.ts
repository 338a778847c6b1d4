/**
 * What a command run in-process writes to stdout and stderr, for tests of `run(argv)`:
 * `io.stdout` and `io.stderr` collect it (from the file's beforeAll hooks on, so a suite's
 * setup can run commands too); both are emptied before each test.
 */
import { afterAll, beforeAll, beforeEach, vi } from 'vitest';

export interface CapturedStdio {
  stdout: string;
  stderr: string;
}

export function captureStdio(): CapturedStdio {
  const io: CapturedStdio = { stdout: '', stderr: '' };
  beforeAll(() => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      io.stdout += String(s);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      io.stderr += String(s);
      return true;
    });
  });
  beforeEach(() => {
    io.stdout = '';
    io.stderr = '';
  });
  afterAll(() => vi.restoreAllMocks());
  return io;
}
