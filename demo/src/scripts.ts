/**
 * The demo's use of the infra/ scripts: start, grow and stop its test VM
 * (infra/qemu/start-vm.sh, grow-disk.sh, stop-vm.sh), and create the snapshot
 * overlay with qemu-img. Script logs pass through to stderr; slow steps print a
 * progress line every few seconds.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { QmpipeError } from '#common/errors.js';
import { packageRoot } from '#common/paths.js';
import { parseEnvFile } from './options.js';

export class DemoScriptError extends QmpipeError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('DEMO_SCRIPT', message, { context });
  }
}

export interface ScriptResult {
  code: number | null;
  stdout: string;
}

/** Runs a command with stderr passed through; resolves with its exit code and stdout. */
export function runScript(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.once('error', (e) => reject(new DemoScriptError(`${cmd} failed to start: ${e.message}`)));
    child.once('close', (code) => resolve({ code, stdout }));
  });
}

/** Prints `[demo] <what>… N s` every `everyMs` until the promise settles. */
export async function withProgress<T>(what: string, p: Promise<T>, say: (line: string) => void, everyMs = 3_000): Promise<T> {
  const t0 = Date.now();
  const timer = setInterval(() => say(`${what}… ${Math.round((Date.now() - t0) / 1000)} s`), everyMs);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}

export interface VmSpec {
  name: string;
  diskMiB: number;
  backingMiB: number;
  rateMiBps: number;
  seconds: number;
  delaySeconds: number;
}

export interface DemoVm {
  name: string;
  uuid: string;
  accel: string;
  diskMode: 'loop' | 'file';
  loop: string;
  qmpAgent: string;
  qmpOperator: string;
  vmDir: string;
  bootSeconds: string;
}

const script = (...p: string[]) => join(packageRoot(), 'infra', 'qemu', ...p);

export async function startVm(spec: VmSpec, runDir: string): Promise<DemoVm> {
  const r = await runScript('bash', [
    script('start-vm.sh'),
    '--name',
    spec.name,
    '--disk-mib',
    String(spec.diskMiB),
    '--backing-mib',
    String(spec.backingMiB),
    '--rate',
    String(spec.rateMiBps),
    '--seconds',
    String(spec.seconds),
    '--delay',
    String(spec.delaySeconds),
  ]);
  if (r.code !== 0) throw new DemoScriptError(`start-vm.sh ${spec.name} failed (exit ${r.code}); see the lines above`, { vm: spec.name });
  const e = parseEnvFile(r.stdout);
  return {
    name: spec.name,
    uuid: e.VM_UUID ?? '',
    accel: e.VM_ACCEL ?? '?',
    diskMode: e.VM_DISK_MODE === 'loop' ? 'loop' : 'file',
    loop: e.VM_LOOP ?? '',
    qmpAgent: e.VM_QMP_AGENT ?? '',
    qmpOperator: e.VM_QMP_OPERATOR ?? '',
    vmDir: join(runDir, 'vm', spec.name),
    bootSeconds: e.VM_BOOT_SECONDS ?? '?',
  };
}

export async function growDisk(name: string, toMiB: number): Promise<void> {
  const r = await runScript('bash', [script('grow-disk.sh'), name, String(toMiB)]);
  if (r.code !== 0) throw new DemoScriptError(`grow-disk.sh ${name} ${toMiB} failed (exit ${r.code})`, { vm: name });
}

/** Idempotent: a VM that is not (or no longer) running is a no-op. */
export async function stopVm(name: string): Promise<void> {
  const r = await runScript('bash', [script('stop-vm.sh'), name]);
  if (r.code !== 0) throw new DemoScriptError(`stop-vm.sh ${name} failed (exit ${r.code})`, { vm: name });
}

export async function createOverlay(path: string, sizeMiB: number): Promise<void> {
  const r = await runScript('qemu-img', ['create', '-q', '-f', 'qcow2', path, `${sizeMiB}M`]);
  if (r.code !== 0) throw new DemoScriptError(`qemu-img create ${path} failed (exit ${r.code})`);
}

/** A transient libvirt domain like startVm's VM (infra/libvirt/start.sh and start-domain.sh; no qemu:commandline). */
export async function startLibvirtVm(spec: VmSpec, runDir: string): Promise<DemoVm & { backingFile: string; libvirtSocket: string }> {
  const lv = await runScript('bash', [join(packageRoot(), 'infra', 'libvirt', 'start.sh')]);
  if (lv.code !== 0) throw new DemoScriptError(`infra/libvirt/start.sh failed (exit ${lv.code}); see the lines above`, { vm: spec.name });
  const daemon = parseEnvFile(lv.stdout);
  const args = ['--name', spec.name, '--disk-mib', String(spec.diskMiB), '--backing-mib', String(spec.backingMiB), '--rate', String(spec.rateMiBps)];
  const r = await runScript('bash', [
    join(packageRoot(), 'infra', 'libvirt', 'start-domain.sh'),
    ...args,
    '--seconds',
    String(spec.seconds),
    '--delay',
    String(spec.delaySeconds),
    '--no-interface',
  ]);
  if (r.code !== 0) throw new DemoScriptError(`infra/libvirt/start-domain.sh ${spec.name} failed (exit ${r.code}); see the lines above`, { vm: spec.name });
  const e = parseEnvFile(r.stdout);
  return {
    name: spec.name,
    uuid: e.VM_UUID ?? '',
    accel: e.VM_ACCEL ?? '?',
    diskMode: 'loop',
    loop: e.VM_LOOP ?? '',
    qmpAgent: '',
    qmpOperator: '',
    vmDir: join(runDir, 'libvirt', 'vm', spec.name),
    bootSeconds: e.VM_BOOT_SECONDS ?? '?',
    backingFile: e.VM_BACKING_FILE ?? '',
    libvirtSocket: daemon.LIBVIRT_SOCK ?? '/run/libvirt/libvirt-sock',
  };
}

/** Stops the libvirt domain (and the libvirtd this demo started, if it has no other domains). */
export async function stopLibvirtVm(name: string): Promise<void> {
  await runScript('bash', [join(packageRoot(), 'infra', 'libvirt', 'stop-domain.sh'), name]);
  await runScript('bash', [join(packageRoot(), 'infra', 'libvirt', 'stop.sh')]);
}
