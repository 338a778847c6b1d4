/**
 * JSON lines `qmpipe replay` prints (the contract tests and users rely on):
 *   {"kind":"rate","t","vm","series","value","unit"}
 *   {"kind":"alert","t","vm","type","state","severity","device","backingIndex","node","value","message"}
 *   {"kind":"sample","t","vm","seq","sample"}          (--emit samples)
 *   {"kind":"rollup", …Rollup}                          (--emit rollups)
 *   {"kind":"deadletter","offset","code","reason"}      (--emit deadletters; several transcripts)
 * With several transcripts (a fleet), every line ends with "host".
 */
import type { RawRecord } from '#schemas/types.js';
import type { Alert, DeadLetter, Rate, Rollup } from '#schemas/outputs.js';

/** A line of a fleet replay: `line` (one of the below) with "host" last. */
export function withHost(line: string, host: string): string {
  return `${line.slice(0, -1)},"host":${JSON.stringify(host)}}`;
}

export function rateLine(r: Rate): string {
  return JSON.stringify({ kind: 'rate', t: r.t, vm: r.vm, series: r.series, value: r.value, unit: r.unit });
}

export function alertLine(a: Alert): string {
  const l = a.labels;
  return JSON.stringify({
    kind: 'alert',
    t: a.t,
    vm: l.vm,
    type: a.type,
    state: a.state,
    severity: a.severity,
    device: l.device,
    backingIndex: l.backingIndex,
    node: l.node,
    value: a.value,
    message: a.message,
  });
}

export function sampleLine(r: RawRecord): string | null {
  if (r.body.kind !== 'Sample') return null;
  return JSON.stringify({ kind: 'sample', t: r.t, vm: r.vm.name, seq: r.seq, sample: r.body.value });
}

/** The row without its host (a fleet replay's line ends with "host", as every line). */
export function rollupLine(r: Rollup): string {
  const { host: _host, ...row } = r;
  return JSON.stringify(row);
}

export function deadLetterLine(d: DeadLetter): string {
  return JSON.stringify({ kind: 'deadletter', offset: d.offset, code: d.code, reason: d.reason });
}
