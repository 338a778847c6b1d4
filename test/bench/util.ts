/** Shared helpers for benchmarks: JSON-line output, medians, CPU timing. */
export interface BenchResult { name: string; value: number; unit: string }

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
export async function interleave(rounds: number, fn: () => Promise<number> | number, baseline: () => Promise<number> | number): Promise<{ subject: number[]; baseline: number[] }> {
  const subject: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < rounds; i++) {
    base.push(await baseline());
    subject.push(await fn());
  }
  return { subject, baseline: base };
}
