/**
 * The demo's operator on a libvirt domain: what it does on a raw socket, done as an
 * operator of a libvirt host would, with virsh (nothing through QEMU's monitor, so the
 * demo taints nothing), and QEMU's events read through libvirt's monitor-event
 * registration (read-only):
 *
 *   query-status                   virsh domstate --reason (paused for an I/O error = io-error)
 *   cont                           virsh resume
 *   blockdev-add (overlay nodes)   nothing: libvirt creates the overlay itself
 *   blockdev-snapshot              virsh snapshot-create-as --disk-only --no-metadata (the overlay file)
 *   block-set-write-threshold      virsh domblkthreshold DOMAIN vda[1] (the base after the snapshot)
 *   block-commit                   virsh blockcommit DOMAIN vda --active --bandwidth
 *   block-job-complete / -cancel   virsh blockjob DOMAIN vda --pivot / --abort
 *
 * libvirt names QEMU's jobs itself: job events are handed to the operator under its own
 * job id (operator.ts JOB_ID), there being one job at a time.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LibvirtClient } from '#agent/libvirt/client.js';
import { JOB_ID } from './operator.js';
import type { ConnectLink } from './operatorLink.js';
import type { QmpEventMessage } from './qmp.js';

const run = promisify(execFile);

export interface LibvirtDomainInfo {
  name: string;
  loop: string;
  backingFile: string;
  socket: string;
}

async function virsh(...args: string[]): Promise<string> {
  return (await run('virsh', ['-c', 'qemu:///system', ...args])).stdout;
}

const JOB_EVENTS = new Set(['BLOCK_JOB_ERROR', 'BLOCK_JOB_READY', 'BLOCK_JOB_COMPLETED', 'BLOCK_JOB_CANCELLED', 'JOB_STATUS_CHANGE']);

export function libvirtLink(d: LibvirtDomainInfo): ConnectLink {
  return async (onEvent) => {
    const client = await LibvirtClient.connect({ socketPath: d.socket });
    const dom = await client.lookupDomainByName(d.name);
    let overlay = '';
    await client.subscribeQemuMonitorEvents({ dom, event: null, flags: 0 }, (ev) => {
      let data: Record<string, unknown> = {};
      try {
        data = ev.details ? (JSON.parse(ev.details) as Record<string, unknown>) : {};
      } catch {}
      if (JOB_EVENTS.has(ev.event)) data = { ...data, device: JOB_ID, id: JOB_ID };
      onEvent({ event: ev.event, data } as QmpEventMessage);
    });
    const execute = async (command: string, args: Record<string, unknown> = {}): Promise<unknown> => {
      switch (command) {
        case 'query-status': {
          const s = await virsh('domstate', '--reason', d.name);
          return { status: s.includes('I/O error') ? 'io-error' : s.startsWith('running') ? 'running' : 'paused' };
        }
        case 'cont':
          return virsh('resume', d.name);
        case 'blockdev-add':
          if (args.driver === 'file' && typeof args.filename === 'string') overlay = args.filename;
          return {};
        case 'blockdev-snapshot':
          return virsh('snapshot-create-as', d.name, '--disk-only', '--no-metadata', '--atomic', '--diskspec', `vda,file=${overlay}`);
        case 'block-set-write-threshold':
          return virsh('domblkthreshold', d.name, 'vda[1]', String(args['write-threshold']));
        case 'block-commit':
          return virsh('blockcommit', d.name, 'vda', '--active', '--bandwidth', String(Math.max(1, Math.round(Number(args.speed ?? 0) / (1 << 20)))));
        case 'block-job-complete':
          return virsh('blockjob', d.name, 'vda', '--pivot');
        case 'block-job-cancel':
          return virsh('blockjob', d.name, 'vda', '--abort');
        default:
          throw new Error(`the libvirt demo operator has no equivalent of ${command}`);
      }
    };
    return {
      execute,
      grow: async (toMiB) => {
        await run('truncate', ['-s', `${toMiB}M`, d.backingFile]);
        await run('losetup', ['-c', d.loop]);
      },
      createOverlay: async () => {}, // virsh creates it
      close: () => void client.close(),
    };
  };
}
