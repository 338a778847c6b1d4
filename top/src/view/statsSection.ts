/**
 * The drill-down's QUERY-STATS section, pure: the VM's latest query-stats as `qmpipe stats`
 * prints them (tools/src/stats/statsFormat.ts: an instance header, `name (type, unit):
 * value`, histograms as bucket bars), indented under the section title; else why not.
 */
import { formatStats } from '#tools/stats/statsFormat.js';
import type { VmFrame } from '../model/frame.js';

export function queryStatsLines(v: VmFrame): string[] {
  const { lines, note } = v.queryStats;
  const title = 'QUERY-STATS (the latest replies, as qmpipe stats prints them)';
  if (lines === null) return [title, `  ${note ?? 'none'}`];
  if (lines.length === 0) return [title, '  none (QEMU gave no stats: no kvm provider under TCG)'];
  return [
    title,
    ...formatStats(lines)
      .trimEnd()
      .split('\n')
      .map((l) => (l ? `  ${l}` : l)),
  ];
}
