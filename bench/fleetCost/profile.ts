/**
 * Where a process's CPU goes, from a V8 `.cpuprofile` (node --cpu-prof): self time by
 * function and by part of the program, over one window of the profile (the warm-up and
 * the shutdown left out). Built-ins without a script (JSON.parse, a string write to a
 * socket) are charged to the part that called them, and named when they matter.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  /** µs on CLOCK_MONOTONIC (V8's TimeTicks on Linux, as process.hrtime). */
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Milliseconds of samples in the window, idle included. */
  windowMs: number;
  /** Busy ms (not idle) by part, sorted. */
  parts: Array<{ part: string; ms: number; share: number }>;
  /** Busy ms by function (self time), top entries. */
  functions: Array<{ fn: string; part: string; ms: number; share: number }>;
}

/** The part of the program a script belongs to. */
function partOfUrl(url: string): string | undefined {
  if (url === '') return undefined;
  if (url.includes('/node_modules/kafkajs/')) return 'kafkajs';
  if (url.includes('/node_modules/avsc/')) return 'Avro (avsc)';
  if (/zlib/.test(url)) return 'gzip (zlib)';
  if (url.includes('/agent/src/qmp/')) return 'QMP client';
  if (url.includes('/agent/src/sample/')) return 'sample building';
  if (url.includes('/agent/src/poller/')) return 'poller';
  if (url.includes('/agent/src/kafka/') || url.includes('/agent/src/spool/')) return 'publisher + spool';
  if (url.includes('/schemas/src/codecs/')) return 'Avro (avsc)';
  if (url.includes('/agent/src/host/')) return 'host (sysfs)';
  if (url.includes('/common/src/')) return 'common (metrics, logs)';
  if (/^node:(net|stream|internal\/stream|internal\/streams|internal\/net)/.test(url) || /stream_base_commons|internal\/streams/.test(url))
    return 'node streams + net';
  if (url.startsWith('node:') || !url.includes('/')) return 'node core';
  return basename(url);
}

function partOf(fr: CallFrame, parentPart: string): string {
  switch (fr.functionName) {
    case '(garbage collector)':
      return 'GC';
    case '(program)':
      return '(program: native, not JS)';
    case '(idle)':
      return '(idle)';
    case 'writeUtf8String':
    case 'writeBuffer':
    case 'writev':
    case 'writeLatin1String':
      return 'socket writes';
    case 'parse':
      if (fr.url === '') return 'JSON.parse';
      break;
    case 'stringify':
      if (fr.url === '') return 'JSON.stringify';
      break;
  }
  return partOfUrl(fr.url) ?? parentPart;
}

/** Summarizes `file` over its samples between two CLOCK_MONOTONIC times (µs). */
export function summarizeProfile(file: string, fromUs: number, toUs: number, top = 20): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const partMemo = new Map<number, string>();
  const part = (id: number): string => {
    const hit = partMemo.get(id);
    if (hit !== undefined) return hit;
    const up = parent.get(id);
    const r = partOf(byId.get(id)!.callFrame, up === undefined ? 'other' : part(up));
    partMemo.set(id, r);
    return r;
  };
  const parts = new Map<string, number>();
  const fns = new Map<string, { part: string; ms: number }>();
  let t = p.startTime;
  let windowMs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dtUs = p.timeDeltas[i] ?? 0;
    t += dtUs;
    const dt = dtUs / 1000;
    if (t < fromUs || t > toUs) continue;
    windowMs += dt;
    const id = p.samples[i]!;
    const pt = part(id);
    parts.set(pt, (parts.get(pt) ?? 0) + dt);
    const fr = byId.get(id)!.callFrame;
    const key = `${fr.functionName || '(anonymous)'} ${fr.url ? `${basename(fr.url)}:${fr.lineNumber + 1}` : '(built-in)'}`;
    const e = fns.get(key) ?? { part: pt, ms: 0 };
    e.ms += dt;
    fns.set(key, e);
  }
  const busy = windowMs - (parts.get('(idle)') ?? 0);
  return {
    windowMs,
    parts: [...parts]
      .filter(([k]) => k !== '(idle)')
      .map(([k, ms]) => ({ part: k, ms, share: ms / busy }))
      .sort((a, b) => b.ms - a.ms),
    functions: [...fns]
      .filter(([, v]) => v.part !== '(idle)')
      .map(([fn, v]) => ({ fn, part: v.part, ms: v.ms, share: v.ms / busy }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}
