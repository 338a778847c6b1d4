/** Shared helpers for benchmarks: JSON-line output, medians, CPU timing. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '#common/paths.js';
import type { Tick } from '#agent/sample/tick.js';
import { ticksOf } from '#tools/transcript/segmenter.js';
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

export function emit(name: string, value: number, unit: string): void {
  const r: BenchResult = { name, value: Number(value.toPrecision(6)), unit };
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** CPU time (user+system) in ms spent by this process while `fn` runs. */
export async function cpuMs(fn: () => unknown | Promise<unknown>): Promise<number> {
  const a = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(a);
  return (d.user + d.system) / 1000;
}

/** Runs `fn` `rounds` times alternately with `baseline`, returning both sets of measurements. */
export async function interleave(
  rounds: number,
  fn: () => Promise<number> | number,
  baseline: () => Promise<number> | number,
): Promise<{ subject: number[]; baseline: number[] }> {
  const subject: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < rounds; i++) {
    base.push(await baseline());
    subject.push(await fn());
  }
  return { subject, baseline: base };
}

/** A transcript fixture of the repository (test/fixtures/), the benchmarks' input data. */
export function fixturePath(...parts: string[]): string {
  return join(packageRoot(), 'test', 'fixtures', ...parts);
}

/** A fixture's ticks, as the live poller would hand them to the sample builder. */
export function fixtureTicks(...parts: string[]): Tick[] {
  return ticksOf(readFileSync(fixturePath(...parts), 'utf8').split('\n'));
}
