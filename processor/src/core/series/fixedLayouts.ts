/**
 * Layouts of the fixed-shape counters: a block device's query-blockstats (device
 * mode) counters and a tap interface's counters, named in libvirt's domstats
 * vocabulary (rd.reqs, rd.bytes, rd.times, …; net rx.bytes, rx.pkts, rx.errs, rx.drop).
 */
import type { BlockCounters, NetInterface } from '#schemas/types.js';
import { CUMULATIVE, GAUGE, layoutOf, type Layout, type SlotGroup } from './layout.js';

const NS = 1e-9;

/** [field, series suffix, unit, scale]; all cumulative except idle. */
const BLOCK_FIELDS: ReadonlyArray<readonly [keyof BlockCounters, string, string, number]> = [
  ['rdOps', 'rd.reqs', 'count', 1],
  ['rdBytes', 'rd.bytes', 'bytes', 1],
  ['rdTimeNs', 'rd.times', 'seconds', NS],
  ['wrOps', 'wr.reqs', 'count', 1],
  ['wrBytes', 'wr.bytes', 'bytes', 1],
  ['wrTimeNs', 'wr.times', 'seconds', NS],
  ['flushOps', 'fl.reqs', 'count', 1],
  ['flushTimeNs', 'fl.times', 'seconds', NS],
  ['unmapOps', 'unmap.reqs', 'count', 1],
  ['unmapBytes', 'unmap.bytes', 'bytes', 1],
  ['unmapTimeNs', 'unmap.times', 'seconds', NS],
  ['rdMerged', 'rd.merged', 'count', 1],
  ['wrMerged', 'wr.merged', 'count', 1],
  ['unmapMerged', 'unmap.merged', 'count', 1],
  ['failedRdOps', 'rd.failed', 'count', 1],
  ['failedWrOps', 'wr.failed', 'count', 1],
  ['failedFlushOps', 'fl.failed', 'count', 1],
  ['failedUnmapOps', 'unmap.failed', 'count', 1],
  ['invalidRdOps', 'rd.invalid', 'count', 1],
  ['invalidWrOps', 'wr.invalid', 'count', 1],
  ['invalidFlushOps', 'fl.invalid', 'count', 1],
  ['invalidUnmapOps', 'unmap.invalid', 'count', 1],
  ['idleTimeNs', 'idle', 'seconds', NS],
];

/** Slot indices the block rules read (latency per operation, io-errors). */
export const BLOCK_SLOT = {
  rdOps: 0,
  rdTime: 2,
  wrOps: 3,
  wrTime: 5,
  flOps: 6,
  flTime: 7,
  failedWr: 15,
} as const;

/** Average latency per operation: [series, time slot, ops slot]. */
export const LATENCIES: ReadonlyArray<readonly [string, number, number]> = [
  ['rd.latency', BLOCK_SLOT.rdTime, BLOCK_SLOT.rdOps],
  ['wr.latency', BLOCK_SLOT.wrTime, BLOCK_SLOT.wrOps],
  ['fl.latency', BLOCK_SLOT.flTime, BLOCK_SLOT.flOps],
];

function fixed(id: string, fields: ReadonlyArray<readonly [string, string, string, number]>, gauges: ReadonlySet<string>): Layout {
  const groups: SlotGroup[] = fields.map(([field, name, unit, scale], i) => ({
    name,
    type: gauges.has(field) ? 'gauge' : 'counter',
    offset: i,
    size: 1,
    unit,
    scale,
    lower: null,
  }));
  return layoutOf(id, fields.length, groups, (g) => (g.type === 'gauge' ? GAUGE : CUMULATIVE));
}

export const BLOCK_LAYOUT: Layout = fixed('block', BLOCK_FIELDS, new Set(['idleTimeNs']));

/** The block counters in BLOCK_LAYOUT order (idle time absent = -1), written into `into` (reused). */
export function blockValues(c: BlockCounters, into: number[] = []): number[] {
  into[0] = c.rdOps;
  into[1] = c.rdBytes;
  into[2] = c.rdTimeNs;
  into[3] = c.wrOps;
  into[4] = c.wrBytes;
  into[5] = c.wrTimeNs;
  into[6] = c.flushOps;
  into[7] = c.flushTimeNs;
  into[8] = c.unmapOps;
  into[9] = c.unmapBytes;
  into[10] = c.unmapTimeNs;
  into[11] = c.rdMerged;
  into[12] = c.wrMerged;
  into[13] = c.unmapMerged;
  into[14] = c.failedRdOps;
  into[15] = c.failedWrOps;
  into[16] = c.failedFlushOps;
  into[17] = c.failedUnmapOps;
  into[18] = c.invalidRdOps;
  into[19] = c.invalidWrOps;
  into[20] = c.invalidFlushOps;
  into[21] = c.invalidUnmapOps;
  into[22] = c.idleTimeNs ?? -1;
  return into;
}

const NET_FIELDS: ReadonlyArray<readonly [keyof NetInterface, string, string, number]> = [
  ['rxBytes', 'rx.bytes', 'bytes', 1],
  ['rxPackets', 'rx.pkts', 'count', 1],
  ['rxErrors', 'rx.errs', 'count', 1],
  ['rxDropped', 'rx.drop', 'count', 1],
  ['txBytes', 'tx.bytes', 'bytes', 1],
  ['txPackets', 'tx.pkts', 'count', 1],
  ['txErrors', 'tx.errs', 'count', 1],
  ['txDropped', 'tx.drop', 'count', 1],
];

export const NET_LAYOUT: Layout = fixed('net', NET_FIELDS, new Set());

export function netValues(n: NetInterface): number[] {
  return [n.rxBytes, n.rxPackets, n.rxErrors, n.rxDropped, n.txBytes, n.txPackets, n.txErrors, n.txDropped];
}
