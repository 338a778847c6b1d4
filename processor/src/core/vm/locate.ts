/** Finds where a node, device name or QOM path named by an event sits in a VM's disks. */
import type { VmState } from '../state/state.js';
import { imageOf } from '../alerts/raise.js';

export interface Location {
  dev: string;
  backingIndex: number;
  /** The image there (alerts/raise.ts imageOf); the node name when the node is in no known chain. */
  image: string;
}

export function locateNode(vm: VmState, node: string): Location | null {
  if (node === '') return null;
  for (const dev of Object.keys(vm.chains).sort()) {
    const list = vm.chains[dev]!;
    for (let i = 0; i < list.length; i++) {
      const cs = list[i]!;
      if (cs.formatNode === node || cs.storageNode === node) return { dev, backingIndex: i, image: imageOf(cs.filename, cs.formatNode) };
    }
  }
  const d = vm.devices.find((x) => x.node === node);
  return d ? { dev: d.dev, backingIndex: 0, image: node } : null;
}

/** BLOCK_IO_ERROR: by node-name, else device name, else qom-path (9.2+). */
export function locateIoError(vm: VmState, node: string, device: string, qomPath: string): Location | null {
  const byNode = locateNode(vm, node);
  if (byNode) return byNode;
  const d = vm.devices.find((x) => (device !== '' && x.device === device) || (qomPath !== '' && x.qdev === qomPath));
  if (!d) return null;
  const top = vm.chains[d.dev]?.[0];
  return { dev: d.dev, backingIndex: 0, image: top ? imageOf(top.filename, top.formatNode) : '' };
}

/** The device a block job most likely runs on: the VM's only disk, else unknown (''). */
export function jobDevice(vm: VmState): string {
  return vm.devices.length === 1 ? vm.devices[0]!.dev : '';
}
