/**
 * The contract between the agent's I/O shell (live QMP poller, or a transcript
 * replay) and its pure sample building: everything one fast-group tick of one VM
 * read, as raw QMP JSON, plus what the host observed.
 *
 * Reply keys (`TickCommand`):
 *   'query-status'            {status, running}
 *   'query-stats:vm'          StatsResult[] for {target:"vm"}
 *   'query-stats:vcpu'        StatsResult[] for {target:"vcpu"}  (other targets: 'query-stats:<target>')
 *   'query-blockstats'        device mode (nested parent/backing)
 *   'query-blockstats:nodes'  {query-nodes:true} (flat), optional
 *   'query-block'             slow group, optional in a tick
 *   'query-named-block-nodes' {flat:true}, slow group, optional in a tick
 *   'query-block-jobs'        optional
 *   'query-stats-schemas'     optional: the reply of the connection's query-stats-schemas,
 *                             carried by the first tick after it was (re)read; the sample
 *                             builder keeps it until the next one
 *   'query-memory-size-summary'  optional, likewise (a transcript's; live: ConnectInfo)
 *   'query-balloon'           slow group, when the VM has a balloon device: {actual}
 *   'qom-get:guest-stats'     slow group, likewise: the balloon's guest-stats (memory.ts)
 */
import type { NetInterface } from '#schemas/types.js';

export type TickCommand =
  | 'query-status'
  | 'query-blockstats'
  | 'query-blockstats:nodes'
  | 'query-block'
  | 'query-named-block-nodes'
  | 'query-block-jobs'
  | 'query-stats-schemas'
  | 'query-memory-size-summary'
  | 'query-balloon'
  | 'qom-get:guest-stats'
  | `query-stats:${string}`;

/** A QMP error reply to one of the tick's commands. */
export interface TickError {
  command: TickCommand;
  /** QMP error class, e.g. CommandNotFound, GenericError; or 'Timeout'. */
  errorClass: string;
  desc: string;
}

/** The QEMU process and its vCPU threads (vCPU index from query-cpus-fast `cpu-index`, thread from `thread-id`). */
export interface QemuThreads {
  pid: number;
  vcpus: Array<{ index: number; tid: number }>;
}

/** One procfs reading of the QEMU process (host/procfs.ts): a transcript `process-stats` host line. */
export interface ProcessStats {
  /** /proc/<pid>/stat utime and stime: every thread of the process, clock ticks (USER_HZ). */
  userTicks: number;
  systemTicks: number;
  /** /proc/<pid>/status VmRSS in KiB; null when unreadable. */
  rssKb: number | null;
  /** utime + stime of each vCPU thread (/proc/<pid>/task/<tid>/stat), clock ticks; an unreadable thread is absent. */
  vcpus: Array<{ index: number; ticks: number }>;
}

export interface HostObservations {
  /** Length in bytes of block devices backing host_device nodes, by path (/sys/dev/block/MAJ:MIN/size * 512). */
  blockdevSizes: Record<string, number>;
  /** Bytes allocated to image files behind `file` nodes, by path (stat st_blocks × 512: QEMU's actual-size, measured now). */
  fileAllocations?: Record<string, number>;
  /** Tap interface counters. */
  net: NetInterface[];
  /** The QEMU process's CPU time and memory, when the agent could read them on the host. */
  process?: ProcessStats;
  /** Disk names the management layer gives, by qdev id (libvirt's targets: `virtio-disk0` → `vda`); absent on a raw socket. */
  deviceNames?: Readonly<Record<string, string>>;
}

export interface Tick {
  /** Sample time, epoch ms: when the device-mode query-blockstats reply arrived (else the tick start). */
  t: number;
  /** Raw `return` values by command. A command absent here was not sent this tick (or failed: see errors). */
  replies: Partial<Record<TickCommand, unknown>>;
  errors: TickError[];
  host: HostObservations;
}
