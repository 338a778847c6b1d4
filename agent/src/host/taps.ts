/**
 * The tap interfaces a QEMU process holds, found on the host (the agent's own monitor has
 * no domain XML to name them; hand-listed `net` in the config overrides this):
 *
 *   /proc/<vcpu tid>/status           `Tgid:` the QEMU process of a vCPU thread
 *                                     (thread ids from query-cpus-fast)
 *   /proc/<pid>/fd/<n> → /dev/net/tun  a tun/tap file descriptor (one per queue)
 *   /proc/<pid>/fdinfo/<n>            `iff:\t<name>`: the interface it is attached to
 *                                     (drivers/net/tun.c tun_chr_show_fdinfo, Linux ≥ 3.13)
 *
 * The parsing is pure (fdinfo text → name; status text → tgid); names are validated where
 * they enter (isInterfaceName). Reading another process's fd table needs QEMU's user or
 * CAP_SYS_PTRACE: unreadable → undefined, never an error (the config's `net` still works).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** The tap interfaces of one QEMU process, in fd order, each once (a multiqueue tap has one fd per queue). */
export interface TapScan {
  taps: string[];
  /** fdinfo names that are not interface names (counted, not used). */
  rejected: number;
}

const IFNAMSIZ = 16;

/**
 * Linux's interface name rules (net/core/dev.c dev_valid_name): 1 to IFNAMSIZ-1 (15)
 * bytes, not `.` or `..`, no `/` and no whitespace. Such a name is one path segment
 * under /sys/class/net.
 */
export function isInterfaceName(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return false;
  if (Buffer.byteLength(name, 'utf8') >= IFNAMSIZ) return false;
  return !/[/\s\0]/.test(name);
}

/** The `iff:` line of a tun fd's fdinfo: the name as the kernel wrote it; undefined when there is none or it is empty (a detached fd). */
export function tunInterface(fdinfo: string): string | undefined {
  for (const line of fdinfo.split('\n')) {
    if (!line.startsWith('iff:')) continue;
    const name = line.slice(4).replace(/^\t/, '');
    return name === '' ? undefined : name;
  }
  return undefined;
}

/** The `Tgid:` of a /proc/<tid>/status text: the process a thread belongs to. */
export function statusTgid(status: string): number | undefined {
  const m = /^Tgid:\s*(\d+)\s*$/m.exec(status);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Validated, deduplicated names of fdinfo texts, in order. */
export function tapsOf(fdinfos: Iterable<string>): TapScan {
  const seen = new Set<string>();
  let rejected = 0;
  for (const text of fdinfos) {
    const name = tunInterface(text);
    if (name === undefined) continue;
    if (!isInterfaceName(name)) rejected++;
    else seen.add(name);
  }
  return { taps: [...seen], rejected };
}

/** The taps of the process owning these vCPU threads, under `root` (default '/'); undefined when it cannot be read. */
export function readQemuTaps(threadIds: readonly number[], root = '/'): TapScan | undefined {
  const tid = threadIds.find((t) => Number.isSafeInteger(t) && t > 0);
  if (tid === undefined) return undefined;
  try {
    const pid = statusTgid(readFileSync(join(root, 'proc', String(tid), 'status'), 'latin1'));
    if (pid === undefined) return undefined;
    const proc = join(root, 'proc', String(pid));
    const fds = readdirSync(join(proc, 'fd'))
      .filter((fd) => /^\d+$/.test(fd))
      .sort((a, b) => Number(a) - Number(b));
    const infos: string[] = [];
    for (const fd of fds) {
      try {
        if (readlinkSync(join(proc, 'fd', fd)) !== '/dev/net/tun') continue;
        infos.push(readFileSync(join(proc, 'fdinfo', fd), 'utf8'));
      } catch {
        // closed between readdir and read: not a tap any more
      }
    }
    return tapsOf(infos);
  } catch {
    return undefined;
  }
}
