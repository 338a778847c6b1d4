/**
 * Test VMs from infra/qemu: a tiny guest writing to /dev/vda at a fixed rate, on a thin
 * qcow2 created directly on a loop device that pauses the guest on ENOSPC (werror=enospc).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomName } from './names.js';
import { infraEnv } from './infra.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..', '..');

export interface TestVmOptions {
  /** Default: a random `it-vm-xxxxxxxx`. */
  name?: string;
  /** Virtual size of the qcow2 (MiB). Default 256. */
  diskMiB?: number;
  /** Size of the loop device under it (MiB): the guest pauses when writes pass it. Default 96. */
  backingMiB?: number;
  /** Guest write rate in MiB/s and for how long; seconds 0 = no writes. Defaults 4 and 0. */
  rateMiBps?: number;
  seconds?: number;
  /** Seconds the guest waits after boot before writing. Default 0. */
  delaySeconds?: number;
  /** Default 'auto': KVM only when the test guest boots under it, else TCG. */
  accel?: 'auto' | 'kvm' | 'tcg';
  /** Return once QMP answers, without waiting for the guest to boot. */
  noBootWait?: boolean;
  /** The VM's -uuid; default a random one. Give the same one to restart "the same" VM. */
  uuid?: string;
  /** Leave out the virtio-balloon device (default: one, polling the guest's memory figures every second). */
  noBalloon?: boolean;
}

export interface TestVm {
  name: string;
  uuid: string;
  pid: number;
  accel: 'kvm' | 'tcg';
  /** QMP socket meant for the agent (in StackInfo.qmpDir). One client at a time. */
  qmpAgent: string;
  /** A second QMP socket for the test/operator (events, cont). */
  qmpOperator: string;
  /** 'file' when loop devices are unavailable: then no ENOSPC pause ever happens. */
  diskMode: 'loop' | 'file';
  loopDevice: string;
  backingFile: string;
  backingMiB: number;
  diskMiB: number;
  consoleLog: string;
  /** Seconds from QEMU start to the guest's `qmpipe-guest: ready` line (undefined with noBootWait). */
  bootSeconds: number | undefined;
  /** Grows the loop device to `mib` (truncate + losetup -c); the guest stays paused until `cont`. */
  grow(mib: number): Promise<void>;
  /** The guest console so far. */
  console(): string;
  /** Kills this VM's QEMU, detaches its loop device, removes its files. Idempotent. */
  stop(): Promise<void>;
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

export async function startTestVm(opts: TestVmOptions = {}): Promise<TestVm> {
  const name = opts.name ?? randomName('it-vm');
  const args = [
    join(root, 'infra/qemu/start-vm.sh'),
    '--name',
    name,
    '--disk-mib',
    String(opts.diskMiB ?? 256),
    '--backing-mib',
    String(opts.backingMiB ?? 96),
    '--rate',
    String(opts.rateMiBps ?? 4),
    '--seconds',
    String(opts.seconds ?? 0),
    '--delay',
    String(opts.delaySeconds ?? 0),
    '--accel',
    opts.accel ?? 'auto',
    ...(opts.noBootWait ? ['--no-boot-wait'] : []),
    ...(opts.uuid ? ['--uuid', opts.uuid] : []),
    ...(opts.noBalloon ? ['--no-balloon'] : []),
  ];
  let out: { stdout: string; stderr: string };
  try {
    out = await run('bash', args, { env: infraEnv(), maxBuffer: 1 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`start-vm.sh ${name} failed: ${e.stderr || e.message}`);
  }
  process.stderr.write(out.stderr);
  const env = parseEnv(out.stdout);
  let stopped = false;
  const vm: TestVm = {
    name,
    uuid: env.VM_UUID!,
    pid: Number(env.VM_PID),
    accel: env.VM_ACCEL as 'kvm' | 'tcg',
    qmpAgent: env.VM_QMP_AGENT!,
    qmpOperator: env.VM_QMP_OPERATOR!,
    diskMode: env.VM_DISK_MODE as 'loop' | 'file',
    loopDevice: env.VM_LOOP ?? '',
    backingFile: env.VM_BACKING_FILE!,
    backingMiB: Number(env.VM_BACKING_MIB),
    diskMiB: Number(env.VM_DISK_MIB),
    consoleLog: env.VM_CONSOLE_LOG!,
    bootSeconds: env.VM_BOOT_SECONDS ? Number(env.VM_BOOT_SECONDS) : undefined,
    async grow(mib: number) {
      await run('bash', [join(root, 'infra/qemu/grow-disk.sh'), name, String(mib)], { env: infraEnv() });
      vm.backingMiB = mib;
    },
    console() {
      return readFileSync(vm.consoleLog, 'utf8');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await run('bash', [join(root, 'infra/qemu/stop-vm.sh'), name], { env: infraEnv() });
    },
  };
  return vm;
}
