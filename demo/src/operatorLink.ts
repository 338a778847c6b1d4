/**
 * What the demo's operator acts through: QMP commands (and the VM's events), growing the
 * "LV", and creating the snapshot overlay. On a raw-socket VM that is the VM's operator QMP
 * socket and infra/qemu's scripts (socketLink); on a libvirt domain it is virsh, as an
 * operator of a libvirt host would do it (libvirtLink.ts).
 */
import { OperatorQmp, type QmpEventMessage } from './qmp.js';
import { createOverlay, growDisk } from './scripts.js';

export interface OperatorLink {
  execute(command: string, args?: Record<string, unknown>): Promise<unknown>;
  /** Grows the VM's thin device to `toMiB`. */
  grow(toMiB: number): Promise<void>;
  /** Creates the overlay a live snapshot switches to (where the backend needs it beforehand). */
  createOverlay(path: string, sizeMiB: number): Promise<void>;
  close(): void;
}

export type ConnectLink = (onEvent: (e: QmpEventMessage) => void) => Promise<OperatorLink>;

/** The VM's operator QMP socket and infra/qemu's scripts. */
export function socketLink(socket: string, vmName: string): ConnectLink {
  return async (onEvent) => {
    const qmp = await OperatorQmp.connect(socket, onEvent);
    return {
      execute: (command, args) => qmp.execute(command, args),
      grow: (toMiB) => growDisk(vmName, toMiB),
      createOverlay: (path, sizeMiB) => createOverlay(path, sizeMiB),
      close: () => qmp.close(),
    };
  };
}
