/**
 * The real libvirtd and a transient test domain for libvirt integration tests, through
 * infra/libvirt/{start,stop,start-domain,stop-domain}.sh in this run's QMPIPE_RUN_DIR.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomName } from './helpers/index.js';
import { infraEnv } from './helpers/infra.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

export function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text.split('\n').flatMap((l) => {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(l.trim());
      return m ? [[m[1]!, m[2]!]] : [];
    }),
  );
}

export async function sh(script: string, args: string[] = []): Promise<string> {
  try {
    const { stdout, stderr } = await run('bash', [join(root, script), ...args], { env: infraEnv(), maxBuffer: 4 << 20 });
    process.stderr.write(stderr);
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${script} ${args.join(' ')} failed:\n${e.stderr || e.message}`);
  }
}

/** Why libvirt tests cannot run here, or null when they can (root can install it). */
export function libvirtUnavailable(): string | null {
  if (process.getuid?.() === 0) return null;
  return existsSync('/usr/sbin/libvirtd') ? 'not root: the system libvirtd needs root' : 'libvirtd is not installed and this user cannot install it';
}

export interface LibvirtDaemon {
  socketPath: string;
  uri: string;
  pid: number;
  /** Started by this run (so it may be restarted and is stopped at the end). */
  owned: boolean;
  startSeconds: number;
}

export async function startLibvirtd(): Promise<LibvirtDaemon> {
  const e = parseEnv(await sh('infra/libvirt/start.sh'));
  return {
    socketPath: e.LIBVIRT_SOCK!,
    uri: e.LIBVIRT_URI!,
    pid: Number(e.LIBVIRTD_PID),
    owned: e.LIBVIRTD_OWNED === '1',
    startSeconds: Number(e.LIBVIRT_START_SECONDS),
  };
}

export async function stopLibvirtd(force = false): Promise<void> {
  await sh('infra/libvirt/stop.sh', force ? ['--force'] : []);
}

export interface TestDomain {
  name: string;
  uuid: string;
  pid: number;
  loop: string;
  /** The file behind the loop device (truncate it and `losetup -c` to grow the "LV"). */
  backingFile: string;
  tap: string;
  domainXml: string;
  bootSeconds: number;
  stop(): Promise<void>;
}

export async function startTestDomain(extra: string[] = []): Promise<TestDomain> {
  const name = randomName('it-lv');
  const e = parseEnv(await sh('infra/libvirt/start-domain.sh', ['--name', name, ...extra]));
  return {
    name,
    uuid: e.VM_UUID!,
    pid: Number(e.VM_PID),
    loop: e.VM_LOOP!,
    backingFile: e.VM_BACKING_FILE!,
    tap: e.VM_TAP!,
    domainXml: readFileSync(e.VM_DOMAIN_XML!, 'utf8'),
    bootSeconds: Number(e.VM_BOOT_SECONDS),
    stop: async () => {
      await sh('infra/libvirt/stop-domain.sh', [name]);
    },
  };
}

export async function virsh(...args: string[]): Promise<string> {
  const { stdout } = await run('virsh', ['-c', 'qemu:///system', ...args], { maxBuffer: 16 << 20 });
  return stdout;
}

/** `virsh domstats` output of one domain as field -> printed value. */
export function parseDomstats(text: string): Map<string, string> {
  return new Map(
    text.split('\n').flatMap((l) => {
      const m = /^\s+([\w.]+)=(.*)$/.exec(l);
      return m ? [[m[1]!, m[2]!] as [string, string]] : [];
    }),
  );
}

/** CPU seconds (user + system) of a process from /proc/PID/stat, children waited for included with `children`. */
export function cpuSeconds(pid: number | 'self', children = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 14-17 of proc(5) (utime stime cutime cstime) are at 11..14 after the comm field
  const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
  return ticks / 100;
}
