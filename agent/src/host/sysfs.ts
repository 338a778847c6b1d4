/**
 * What the agent measures on the host itself, not through QMP (the agent runs on
 * the hypervisor):
 *
 *   blockdev size   stat(path).rdev → /sys/dev/block/MAJ:MIN/size × 512
 *                   (the physical size of a thin LV; QEMU's virtual-size of a
 *                   host_device node lags behind a grown device)
 *   file allocation stat(path).blocks × 512 of an image file (QEMU's actual-size,
 *                   which the slow group reports only every slowIntervalMs)
 *   tap counters    /sys/class/net/<if>/statistics/{rx,tx}_{bytes,packets,errors,dropped},
 *                   rx and tx swapped into the guest's view (below)
 *   QEMU process    /proc/<vcpu tid>/stat start time and the boot id (procfs.ts), once
 *                   per connection, for the instance id; its pid (a vCPU thread's Tgid)
 *                   once per connection, then its CPU ticks, RSS and each vCPU
 *                   thread's CPU ticks every tick (procfs.ts, files held open)
 *   QEMU's taps     the interfaces of its /dev/net/tun fds (taps.ts), on the agent's own
 *                   monitor when the config lists none
 *
 * Reads are synchronous: sysfs attributes are in-memory and never block on I/O.
 * A missing path or interface is skipped (undefined), never an error. `root`
 * defaults to '/' and is a parameter so tests can point it at a fixture tree.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NetInterface } from '#schemas/types.js';
import type { QemuProcess } from '../sample/identity.js';
import type { HostObservations, ProcessStats, QemuThreads } from '../sample/tick.js';
import { ProcFiles } from './procFiles.js';
import { readProcessStats, readQemuProcess, readQemuThreads } from './procfs.js';
import { isInterfaceName, readQemuTaps, type TapScan } from './taps.js';

/** Linux dev_t → major/minor (glibc gnu_dev_major/minor, 64-bit encoding). */
export function splitDev(rdev: number): { major: number; minor: number } {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  const major = ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0);
  const minor = (lo & 0xff) | ((lo >>> 12) & 0xffffff00);
  return { major, minor: minor >>> 0 };
}

export interface HostReader {
  /** Length in bytes of the block device at `path`, or undefined if it is not one. */
  blockdevSize(path: string): number | undefined;
  /** Bytes allocated to the regular file at `path` (st_blocks × 512), or undefined if it is not one. */
  fileAllocation(path: string): number | undefined;
  /** Tap counters of `ifname`, or undefined if the interface does not exist. */
  netStats(ifname: string): NetInterface | undefined;
  /** The QEMU process owning these vCPU threads (procfs.ts), or undefined if it cannot be read here. */
  qemuProcess(threadIds: readonly number[]): QemuProcess | undefined;
  /** The tap interfaces of the QEMU process owning these vCPU threads (taps.ts), or undefined if it cannot be read here. */
  qemuTaps(threadIds: readonly number[]): TapScan | undefined;
  /** The process of these vCPU threads and their ids (procfs.ts), or undefined if it cannot be read here. */
  qemuThreads(vcpus: ReadonlyArray<{ index: number; tid: number }>): QemuThreads | undefined;
  /** The process's CPU ticks, RSS and vCPU threads' ticks now, or undefined if it cannot be read. */
  processStats(threads: QemuThreads): ProcessStats | undefined;
}

/**
 * A tap's counters are the host's view: what the host transmits into the tap, the guest
 * receives. The series use libvirt's guest view (virNetDevTapInterfaceStats with
 * `swapped`, as libvirt does for tap-backed interfaces), so rx and tx are swapped here.
 */
const NET_FIELDS = [
  ['rxBytes', 'tx_bytes'],
  ['rxPackets', 'tx_packets'],
  ['rxErrors', 'tx_errors'],
  ['rxDropped', 'tx_dropped'],
  ['txBytes', 'rx_bytes'],
  ['txPackets', 'rx_packets'],
  ['txErrors', 'rx_errors'],
  ['txDropped', 'rx_dropped'],
] as const;

export function sysfsReader(root = '/'): HostReader {
  const procFiles = new ProcFiles();
  const read = (p: string): string | undefined => {
    try {
      return readFileSync(join(root, p), 'latin1');
    } catch {
      return undefined;
    }
  };
  return {
    blockdevSize(path) {
      let rdev: number;
      try {
        const st = statSync(path);
        if (!st.isBlockDevice()) return undefined;
        rdev = st.rdev;
      } catch {
        return undefined;
      }
      const { major, minor } = splitDev(rdev);
      const sectors = read(`sys/dev/block/${major}:${minor}/size`);
      const n = sectors === undefined ? NaN : Number.parseInt(sectors, 10);
      return Number.isFinite(n) ? n * 512 : undefined;
    },
    fileAllocation(path) {
      try {
        const st = statSync(path);
        return st.isFile() ? st.blocks * 512 : undefined;
      } catch {
        return undefined;
      }
    },
    netStats(ifname) {
      if (!isInterfaceName(ifname)) return undefined;
      const base = `sys/class/net/${ifname}/statistics`;
      const out: Record<string, number> = {};
      for (const [field, file] of NET_FIELDS) {
        const v = read(`${base}/${file}`);
        if (v === undefined) return undefined;
        out[field] = Number.parseInt(v, 10) || 0;
      }
      return { name: ifname, ...out } as unknown as NetInterface;
    },
    qemuProcess: (threadIds) => readQemuProcess(threadIds, root),
    qemuTaps: (threadIds) => readQemuTaps(threadIds, root),
    qemuThreads: (vcpus) => readQemuThreads(vcpus, root),
    processStats: (threads) => readProcessStats(threads, procFiles, root),
  };
}

/**
 * One tick's host observations: the size of each host_device path, the allocation of
 * each image file, the counters of each tap interface (missing ones skipped), and the
 * QEMU process's CPU and memory when its threads are known.
 * `onTraffic` sees each as a transcript `host` line (`qmpipe record`).
 */
export function observeHost(
  reader: HostReader,
  paths: { devices: readonly string[]; files: readonly string[]; threads?: QemuThreads | undefined },
  ifnames: readonly string[],
  onTraffic?: (dir: 'host', msg: unknown) => void,
): HostObservations {
  // Keyed by paths QEMU names: null-prototype records, so a path such as `__proto__` is a key like any other.
  const host: HostObservations = {
    blockdevSizes: Object.create(null) as Record<string, number>,
    fileAllocations: Object.create(null) as Record<string, number>,
    net: [],
  };
  for (const path of paths.devices) {
    const bytes = reader.blockdevSize(path);
    if (bytes === undefined) continue;
    host.blockdevSizes[path] = bytes;
    onTraffic?.('host', { 'blockdev-size': { path, bytes } });
  }
  for (const path of paths.files) {
    const bytes = reader.fileAllocation(path);
    if (bytes === undefined) continue;
    host.fileAllocations![path] = bytes;
    onTraffic?.('host', { 'file-allocation': { path, bytes } });
  }
  for (const ifname of ifnames) {
    const n = reader.netStats(ifname);
    if (!n) continue;
    host.net.push(n);
    onTraffic?.('host', { 'net-stats': n });
  }
  const proc = paths.threads ? reader.processStats(paths.threads) : undefined;
  if (proc) {
    host.process = proc;
    onTraffic?.('host', { 'process-stats': proc });
  }
  return host;
}
