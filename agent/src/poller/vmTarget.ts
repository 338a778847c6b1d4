import { basename } from 'node:path';
import type { QmpTransport } from '../qmp/client.js';
import type { OpenSession } from '../qmp/session.js';

/** One VM to watch: where its QMP socket is and what the host knows about it. */
export interface VmTarget {
  /** Stable key: the socket path, or host:port. */
  id: string;
  transport: QmpTransport;
  /** Socket base name without extension: the `vm` metric label and the name of last resort. */
  label: string;
  /** Tap interfaces to read from /sys/class/net, listed by hand (config) or by the management layer (libvirt's domain XML). */
  net: string[];
  /**
   * Find the taps QEMU holds on the host when `net` is empty (host/taps.ts): the VM's own
   * monitor on a unix socket, hence this host. Not over TCP (the monitor may be another
   * host's) nor through libvirt (its domain XML names them).
   */
  discoverTaps?: boolean;
  /** How to reach the VM when it is not a socket of its own (libvirt's monitor); the transport then only names it. */
  open?: OpenSession;
  /** Disk names the management layer gives, by qdev id (libvirt: `virtio-disk0` → `vda`). */
  deviceNames?: Readonly<Record<string, string>>;
}

export function unixTarget(path: string, net: string[] = []): VmTarget {
  return { id: path, transport: { kind: 'unix', path }, label: basename(path).replace(/\.[^.]*$/, ''), net, discoverTaps: true };
}

export function tcpTarget(host: string, port: number, net: string[] = []): VmTarget {
  return { id: `${host}:${port}`, transport: { kind: 'tcp', host, port }, label: `${host}_${port}`, net };
}
