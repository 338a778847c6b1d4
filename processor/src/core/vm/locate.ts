/** Finds where a node, device name or QOM path named by an event sits in a VM's disks. */
import type { VmState } from '../state/state.js';

export interface Location {
  dev: string;
  backingIndex: number;
}

export function locateNode(vm: VmState, node: string): Location | null {
  if (node === '') return null;
  for (const dev of Object.keys(vm.chains).sort()) {
    const list = vm.chains[dev]!;
    for (let i = 0; i < list.length; i++) if (list[i]!.formatNode === node || list[i]!.storageNode === node) return { dev, backingIndex: i };
  }
  const d = vm.devices.find((x) => x.node === node);
  return d ? { dev: d.dev, backingIndex: 0 } : null;
}

/** BLOCK_IO_ERROR: by node-name, else device name, else qom-path (9.2+). */
export function locateIoError(vm: VmState, node: string, device: string, qomPath: string): Location | null {
  const byNode = locateNode(vm, node);
  if (byNode) return byNode;
  const d = vm.devices.find((x) => (device !== '' && x.device === device) || (qomPath !== '' && x.qdev === qomPath));
  return d ? { dev: d.dev, backingIndex: 0 } : null;
}

/** The device a block job most likely runs on: the VM's only disk, else unknown (''). */
export function jobDevice(vm: VmState): string {
  return vm.devices.length === 1 ? vm.devices[0]!.dev : '';
}
