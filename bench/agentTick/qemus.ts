/**
 * The agent-tick bench's QEMU processes: N paused VMs (-S, so guests burn no CPU; KVM
 * when /dev/kvm works, so query-stats returns real kvm stats; 2 vCPUs, one virtio-blk
 * qcow2), each with one QMP socket, in a temp dir. `cleanup` kills only these pids.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let dir = '';
const pids: number[] = [];

export function accel(): 'kvm' | 'tcg' {
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
    return 'kvm';
  } catch {
    return 'tcg';
  }
}

export function startQemu(i: number, acc: 'kvm' | 'tcg'): string {
  dir ||= mkdtempSync(join(tmpdir(), 'qmpipe-bench-'));
  const disk = join(dir, `d${i}.qcow2`);
  const sock = join(dir, `vm${i}.qmp`);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
  execFileSync('qemu-system-x86_64', [
    '-S',
    '-name',
    `bench-${i}`,
    '-uuid',
    randomUUID(),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-accel',
    acc,
    '-cpu',
    acc === 'kvm' ? 'host,-arch-capabilities' : 'max',
    '-m',
    '64',
    '-smp',
    '2',
    '-qmp',
    `unix:${sock},server=on,wait=off`,
    '-blockdev',
    `driver=file,filename=${disk},node-name=s0`,
    '-blockdev',
    'driver=qcow2,file=s0,node-name=f0',
    '-device',
    'virtio-blk-pci,drive=f0,id=vda',
    '-daemonize',
    '-pidfile',
    join(dir, `vm${i}.pid`),
  ]);
  pids.push(Number(readFileSync(join(dir, `vm${i}.pid`), 'utf8')));
  return sock;
}

export function cleanup(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
}

/** The installed QEMU's version. */
export function qemuVersion(): { major: number; minor: number; micro: number } {
  const [major, minor, micro] = /version (\d+)\.(\d+)\.(\d+)/
    .exec(spawnSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).stdout)!
    .slice(1, 4)
    .map(Number) as [number, number, number];
  return { major, minor, micro };
}
