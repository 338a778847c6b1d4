/**
 * The QEMU process id of a running domain. No RPC returns it (virDomainGetInfo has state,
 * memory, vCPUs and CPU time only); the QEMU driver writes it to <runDir>/<name>.pid
 * (/run/libvirt/qemu for qemu:///system) and as `pid` on <domstatus> in <name>.xml.
 * The pid is only trusted when that process's command line names the domain
 * (`-name guest=<name>,...`), so a stale file after a crash is not believed.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const QEMU_RUN_DIR = '/run/libvirt/qemu';

/** True when `cmdline` (NUL-separated) is a QEMU started by libvirt for `name`. */
export function cmdlineNamesGuest(cmdline: string, name: string): boolean {
  const args = cmdline.split('\0');
  const i = args.indexOf('-name');
  const value = i >= 0 ? args[i + 1] : undefined;
  return value?.split(',').includes(`guest=${name}`) === true;
}

/** The pid, or null when the domain is not running here (or the file is stale). */
export async function readQemuPid(name: string, runDir = QEMU_RUN_DIR): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(join(runDir, `${name}.pid`), 'utf8');
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  if (!Number.isSafeInteger(pid) || pid <= 1) return null;
  try {
    return cmdlineNamesGuest(await readFile(`/proc/${pid}/cmdline`, 'utf8'), name) ? pid : null;
  } catch {
    return null;
  }
}

/**
 * The QEMU process's identity: its pid, its start time (field 22 of /proc/PID/stat, clock
 * ticks since boot) and the host's boot id, hashed. An agent or libvirtd restart keeps it;
 * a QEMU restart, a migration or a reboot changes it. Null when the process is not found.
 */
export async function qemuInstanceId(name: string, runDir = QEMU_RUN_DIR): Promise<string | null> {
  const pid = await readQemuPid(name, runDir);
  if (pid === null) return null;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields 3.. (the command may hold spaces)
    const startTime = fields[22 - 3];
    const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    return createHash('sha256').update(`${bootId}|${pid}|${startTime}`).digest().subarray(0, 16).toString('hex');
  } catch {
    return null;
  }
}
