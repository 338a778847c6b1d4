/**
 * A QEMU with many small disks, for the agent's large-reply path: each disk is a 1 MiB
 * qcow2 overlay on a 1 MiB qcow2 base (two images, four named nodes, libvirt's node
 * names), all on one virtio-scsi controller. No guest runs (-S): QMP answers at once.
 * With 300 disks query-blockstats {query-nodes:true} is ~1.2 MB on one line.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomName } from './names.js';
import { stack } from './stack.js';

const run = promisify(execFile);

export interface ManyDisksVm {
  name: string;
  disks: number;
  qmp: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startManyDisksVm(disks: number): Promise<ManyDisksVm> {
  const name = randomName('it-disks');
  const dir = join(stack().runDir, 'vm', name);
  mkdirSync(dir, { recursive: true });
  mkdirSync(stack().qmpDir, { recursive: true });
  const qmp = join(stack().qmpDir, `${name}.qmp`);
  const args = ['-name', name, '-S', '-nodefaults', '-no-user-config', '-display', 'none', '-accel', 'tcg', '-m', '64'];
  args.push('-device', 'virtio-scsi-pci,id=scsi0');
  for (let i = 0; i < disks; i++) {
    const [top, base] = [2 * i + 1, 2 * i + 2];
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, `b${i}.qcow2`), '1M']);
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', join(dir, `b${i}.qcow2`), '-F', 'qcow2', join(dir, `t${i}.qcow2`), '1M']);
    args.push(
      '-blockdev',
      `driver=file,filename=${join(dir, `b${i}.qcow2`)},node-name=libvirt-${base}-storage,read-only=on`,
      '-blockdev',
      `driver=qcow2,file=libvirt-${base}-storage,node-name=libvirt-${base}-format,read-only=on`,
      '-blockdev',
      `driver=file,filename=${join(dir, `t${i}.qcow2`)},node-name=libvirt-${top}-storage`,
      '-blockdev',
      `driver=qcow2,file=libvirt-${top}-storage,backing=libvirt-${base}-format,node-name=libvirt-${top}-format`,
      '-device',
      `scsi-hd,drive=libvirt-${top}-format,bus=scsi0.0,scsi-id=${Math.floor(i / 16)},lun=${i % 16},id=sd${i}`,
    );
  }
  const pidFile = join(dir, 'qemu.pid');
  args.push('-qmp', `unix:${qmp},server=on,wait=off`, '-daemonize', '-pidfile', pidFile);
  try {
    await run('qemu-system-x86_64', args, { maxBuffer: 1 << 20 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`qemu with ${disks} disks failed to start: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  let stopped = false;
  return {
    name,
    disks,
    qmp,
    pid,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        // Only our QEMU: its command line names our socket.
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(qmp)) process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      rmSync(dir, { recursive: true, force: true });
      rmSync(qmp, { force: true });
    },
  };
}
