/**
 * The `stats` mode's events, pure: libvirt's domain events → the QMP events the processor
 * acts on (processor/src/core/vm/events.ts), so its alerts work unchanged:
 *
 *   IO_ERROR_REASON (reason enospc)  → BLOCK_IO_ERROR {device, node-name, nospace, action, operation}
 *   BLOCK_THRESHOLD                  → BLOCK_WRITE_THRESHOLD {node-name, write-threshold, amount-exceeded}
 *   BLOCK_JOB_2 completed/failed/cancelled/ready → BLOCK_JOB_COMPLETED (error on failed) /
 *                                      BLOCK_JOB_CANCELLED / BLOCK_JOB_READY, the job named by its disk
 *   LIFECYCLE suspended/resumed/stopped|shutdown → STOP / RESUME / SHUTDOWN
 *
 * Images are named as statsSample.ts names them (`vda[1]`, libvirt's image id); libvirt's
 * events give a disk alias or target and a path, resolved against the last sample's chains.
 * libvirt's events carry no QEMU timestamp: `nowUs` stands in.
 */
import type { BlockDevice, QmpEvent } from '#schemas/types.js';
import { LifecycleEvent } from './constants.js';
import type { DomainEvent } from './events.js';

/** What the events are resolved against: the disks of the last sample, and disk targets by qdev alias. */
export interface EventContext {
  devices: readonly BlockDevice[];
  targets: Readonly<Record<string, string>>;
}

/** virDomainEventIOErrorAction (libvirt-domain.h). */
const IO_ACTIONS = ['none', 'stop', 'report', 'ignore'];
/** virConnectDomainEventBlockJobStatus. */
const JOB_COMPLETED = 0;
const JOB_FAILED = 1;
const JOB_CANCELED = 2;
const JOB_READY = 3;
/** virDomainBlockJobType → QMP job type. */
const JOB_TYPES = ['unknown', 'stream', 'mirror', 'commit', 'commit'];

function qmp(event: string, data: Record<string, unknown>, nowUs: number): QmpEvent {
  return { event, qemuTimeUs: nowUs, data: JSON.stringify(data) };
}

/** The image a path (or, failing that, the top of the disk) is, as statsSample.ts names it. */
function nodeOf(ctx: EventContext, dev: string, path: string | null): string {
  const d = ctx.devices.find((x) => x.dev === dev);
  if (!d) return '';
  const el = (path ? d.chain.find((e) => e.filename === path) : undefined) ?? d.chain[0];
  return el?.formatNode ?? '';
}

export function toQmpEvent(ev: DomainEvent, ctx: EventContext, nowUs: number): QmpEvent | null {
  switch (ev.kind) {
    case 'ioErrorReason': {
      const dev = ctx.targets[ev.devAlias] ?? ev.devAlias;
      return qmp(
        'BLOCK_IO_ERROR',
        {
          device: dev,
          'node-name': nodeOf(ctx, dev, ev.srcPath),
          operation: 'write',
          action: IO_ACTIONS[ev.action] ?? 'stop',
          nospace: ev.reason === 'enospc',
          reason: ev.reason,
        },
        nowUs,
      );
    }
    case 'blockThreshold': {
      const bracket = ev.dev.indexOf('[');
      const dev = bracket < 0 ? ev.dev : ev.dev.slice(0, bracket);
      const node = bracket < 0 ? nodeOf(ctx, dev, ev.path) : ev.dev;
      return qmp('BLOCK_WRITE_THRESHOLD', { 'node-name': node, 'write-threshold': Number(ev.threshold), 'amount-exceeded': Number(ev.excess) }, nowUs);
    }
    case 'blockJob2': {
      const data = { device: ev.dst, type: JOB_TYPES[ev.type] ?? 'unknown', len: 0, offset: 0 };
      if (ev.status === JOB_COMPLETED) return qmp('BLOCK_JOB_COMPLETED', data, nowUs);
      if (ev.status === JOB_FAILED) return qmp('BLOCK_JOB_COMPLETED', { ...data, error: 'the block job failed' }, nowUs);
      if (ev.status === JOB_CANCELED) return qmp('BLOCK_JOB_CANCELLED', data, nowUs);
      if (ev.status === JOB_READY) return qmp('BLOCK_JOB_READY', data, nowUs);
      return null;
    }
    case 'lifecycle':
      if (ev.event === LifecycleEvent.SUSPENDED) return qmp('STOP', {}, nowUs);
      if (ev.event === LifecycleEvent.RESUMED) return qmp('RESUME', {}, nowUs);
      if (ev.event === LifecycleEvent.STOPPED || ev.event === LifecycleEvent.SHUTDOWN) return qmp('SHUTDOWN', {}, nowUs);
      return null;
    default:
      return null;
  }
}
