/**
 * A deliberately small SampleBuilder used until the pure sample building of
 * agent/src/sample/** lands (buildSample, toQmpEvent, identity). It maps only what
 * the poller's own tests need: identity, query-status, device-mode counters and
 * block jobs. No stats, no backing chain. Replace, do not extend.
 */
import { createHash } from 'node:crypto';
import type { BlockCounters, BlockDevice, BlockJob, QmpEvent, Sample, VmIdentity } from '../../../schemas/src/types.js';
import { versionString, type QmpEventMessage } from '../qmp/messages.js';
import type { Tick } from '../sample/tick.js';
import type { ConnectInfo, SampleBuilder } from './builder.js';

const o = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function standinIdentity(info: ConnectInfo): VmIdentity {
  const threads = Array.isArray(info.cpus) ? info.cpus.map((c) => n(o(c)['thread-id'])).join(',') : '';
  const basis = threads ? `threads:${threads}` : `connect:${info.connectedAt}`;
  return {
    host: info.host,
    uuid: s(o(info.uuid).UUID) ?? `socket:${info.socketName}`,
    name: s(o(info.name).name) ?? info.socketName,
    instanceId: createHash('sha256').update(basis).digest('hex').slice(0, 16),
    qemuVersion: versionString(info.greeting.version),
  };
}

function counters(st: Record<string, unknown>): BlockCounters {
  return {
    rdBytes: n(st.rd_bytes), wrBytes: n(st.wr_bytes), rdOps: n(st.rd_operations), wrOps: n(st.wr_operations), flushOps: n(st.flush_operations),
    rdTimeNs: n(st.rd_total_time_ns), wrTimeNs: n(st.wr_total_time_ns), flushTimeNs: n(st.flush_total_time_ns),
    unmapBytes: n(st.unmap_bytes), unmapOps: n(st.unmap_operations), unmapTimeNs: n(st.unmap_total_time_ns),
    rdMerged: n(st.rd_merged), wrMerged: n(st.wr_merged), unmapMerged: n(st.unmap_merged),
    failedRdOps: n(st.failed_rd_operations), failedWrOps: n(st.failed_wr_operations), failedFlushOps: n(st.failed_flush_operations), failedUnmapOps: n(st.failed_unmap_operations),
    invalidRdOps: n(st.invalid_rd_operations), invalidWrOps: n(st.invalid_wr_operations), invalidFlushOps: n(st.invalid_flush_operations), invalidUnmapOps: n(st.invalid_unmap_operations),
    idleTimeNs: typeof st.idle_time_ns === 'number' ? st.idle_time_ns : null,
  };
}

export const standinBuilder: SampleBuilder<null> = {
  connect: (info) => ({ identity: standinIdentity(info), state: null }),
  build: (state, tick: Tick) => {
    const status = o(tick.replies['query-status']);
    const devs = Array.isArray(tick.replies['query-blockstats']) ? tick.replies['query-blockstats'] : [];
    const blockDevices: BlockDevice[] = devs.map((d) => {
      const dev = o(d);
      return {
        dev: s(dev.qdev) ?? s(dev['node-name']) ?? s(dev.device) ?? '',
        device: s(dev.device) ?? '', qdev: s(dev.qdev), nodeName: s(dev['node-name']), ioStatus: null,
        counters: counters(o(dev.stats)), extra: {}, chain: [],
      };
    });
    const jobs: BlockJob[] = (Array.isArray(tick.replies['query-block-jobs']) ? tick.replies['query-block-jobs'] : []).map((j) => {
      const x = o(j);
      return { id: s(x.device) ?? '', type: s(x.type) ?? '', status: s(x.status) ?? '', len: n(x.len), offset: n(x.offset), ioStatus: s(x['io-status']), ready: x.ready === true, paused: x.paused === true };
    });
    const sample: Sample = {
      status: s(status.status) ?? 'unknown', running: status.running === true, stats: null, blockDevices, jobs,
      net: tick.host.net, slowRefresh: 'query-block' in tick.replies, errors: tick.errors.map((e) => `${e.command}: ${e.errorClass}`),
    };
    return { state, sample };
  },
  event: (ev: QmpEventMessage): QmpEvent => ({ event: ev.event, qemuTimeUs: ev.timestamp.seconds * 1e6 + ev.timestamp.microseconds, data: JSON.stringify(ev.data) }),
};
