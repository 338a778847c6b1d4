/**
 * `virsh domstats --block [--backing]` from one Sample, with libvirt's semantics
 * (qemuDomainGetStatsBlockExportDisk, docs/qmp-notes.md §4):
 * - one record per disk, or per chain element with --backing (top first);
 *   `block.count` is the number of records, N just their enumeration order;
 * - name, path, backingIndex header; the counters libvirt reports (the rows of the block
 *   counter table with a libvirt name, #schemas/blockCounters.ts: rd/wr/fl), in table
 *   order, on the top image only;
 * - allocation = the storage node's wr_highest_offset (also when 0); capacity and
 *   physical when non-zero (physical: device length for block devices, allocated
 *   blocks for files); threshold = the storage node's write threshold when set.
 * Differences by design: `name` is the qdev id (libvirt: the disk target, vda) and
 * `backingIndex` is the depth in the chain, 0 = top (libvirt: its vda[N] id, 1 for
 * the top before a snapshot, 2 after one), printed for every element.
 */
import { LIBVIRT_BLOCK_COUNTERS } from '#schemas/blockCounters.js';
import type { BlockDevice, ChainElement, Sample } from '#schemas/types.js';
import { vmGroupEntries, type VmGroup } from './vmGroups.js';

export type DomstatsEntry = readonly [key: string, value: string | number];

function counters(d: BlockDevice): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const r of LIBVIRT_BLOCK_COUNTERS) {
    const v = d.counters[r.field];
    if (v !== null) out.push([r.libvirt, v]);
  }
  return out;
}

function element(n: number, d: BlockDevice, e: ChainElement | null, top: boolean): DomstatsEntry[] {
  const p = `block.${n}.`;
  const out: DomstatsEntry[] = [[`${p}name`, d.dev]];
  if (e) out.push([`${p}path`, e.filename], [`${p}backingIndex`, e.backingIndex]);
  if (top) for (const [k, v] of counters(d)) out.push([p + k, v]);
  if (!e) return out;
  if (e.allocationValid) out.push([`${p}allocation`, e.allocation]);
  if (e.capacity !== null && e.capacity > 0) out.push([`${p}capacity`, e.capacity]);
  if (e.physical !== null && e.physical > 0) out.push([`${p}physical`, e.physical]);
  if (e.writeThreshold > 0) out.push([`${p}threshold`, e.writeThreshold]);
  return out;
}

/** The block.* entries, in virsh's order. */
export function domstatsEntries(s: Sample, opts: { backing: boolean }): DomstatsEntry[] {
  const records: DomstatsEntry[][] = [];
  for (const d of s.blockDevices) {
    if (d.chain.length === 0) {
      records.push(element(records.length, d, null, true)); // empty drive: no image
      continue;
    }
    const chain = opts.backing ? d.chain : d.chain.slice(0, 1);
    chain.forEach((e, i) => records.push(element(records.length, d, e, i === 0)));
  }
  return [['block.count', records.length], ...records.flat()];
}

/** virsh's text layout: a Domain line, then indented key=value lines: the VM-level groups asked for (vmGroups.ts), then block.* unless `block` is false. */
export function formatDomstats(vmName: string, s: Sample, opts: { backing: boolean; vm?: ReadonlySet<VmGroup>; block?: boolean }): string {
  const entries = [...vmGroupEntries(s, opts.vm ?? new Set()), ...(opts.block === false ? [] : domstatsEntries(s, opts))];
  const lines = [`Domain: '${vmName}'`, ...entries.map(([k, v]) => `  ${k}=${v}`)];
  return `${lines.join('\n')}\n\n`;
}

/** Parses virsh's text layout back into key → value (for comparisons). */
export function parseDomstats(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s+([^=\s]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}
