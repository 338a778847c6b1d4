/**
 * `qmpipe domstats FILE.jsonl|--socket PATH [--state] [--cpu-total] [--balloon] [--vcpu] [--block] [--backing] [--until MS]`:
 * the latest sample in `virsh domstats` layout (domstats.ts, vmGroups.ts), from a recorded
 * transcript (cut at --until, epoch ms) or from a live QMP socket. No group flag: every group.
 */
import { QmpipeError } from '#common/errors.js';
import { UsageError, parseCommandArgs, runCommand, writeOut } from '#common/command.js';
import { formatDomstats } from './domstats.js';
import { VM_GROUPS, type VmGroup } from './vmGroups.js';
import { liveSample } from './liveSample.js';
import { libvirtTarget } from '../libvirtTarget.js';
import { lastSample, transcriptRecords } from '../transcript/decoded.js';

const help = `Usage: qmpipe domstats FILE.jsonl [--until MS] [GROUPS] [--backing]
       qmpipe domstats --socket PATH [GROUPS] [--backing]
       qmpipe domstats --libvirt qemu:///system --domain NAME [GROUPS] [--backing]

GROUPS: --state --cpu-total --balloon --vcpu --block (as virsh's; none given: all of them).
Prints the latest sample like 'virsh domstats [GROUPS] [--backing]': state.state/reason
(from QMP's run state as libvirt maps it: a running VM's reason is 0, unknown), cpu.time/user/system,
balloon.current/maximum/rss and the guest's figures (KiB, counts), vcpu.N.time, block.count and block.N.name/path/backingIndex/rd.*/wr.*/fl.*/allocation/
capacity/physical/threshold. A figure the sample does not have is not printed.
cpu.* are the QEMU process's own CPU times (procfs) on a socket and through --libvirt;
libvirt prints its domain cgroup's, which differ by a few 10 ms ticks. Without a balloon
device there is no balloon.current (libvirt prints the configured memory).
Differences from libvirt: on a socket, name is the disk's qdev id (through --libvirt, its
target, e.g. vda, as libvirt's); backingIndex is the depth in the chain, 0 = top (libvirt:
its vda[N] image id). --libvirt reads QEMU's monitor through libvirt, read-only.
`;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help);
    return 0;
  }
  return runCommand('domstats', help, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      backing: { type: 'boolean' },
      socket: { type: 'string' },
      until: { type: 'string' },
      libvirt: { type: 'string' },
      domain: { type: 'string' },
      state: { type: 'boolean' },
      'cpu-total': { type: 'boolean' },
      balloon: { type: 'boolean' },
      vcpu: { type: 'boolean' },
      block: { type: 'boolean' },
    });
    const asked = VM_GROUPS.filter((g) => values[g] === true);
    const all = asked.length === 0 && values.block !== true;
    const opts = { backing: values.backing === true, vm: new Set<VmGroup>(all ? VM_GROUPS : asked), block: all || values.block === true };
    const { socket, libvirt } = values;
    if ([socket, libvirt, positionals[0]].filter((x) => x !== undefined).length !== 1 || positionals.length > 1) {
      throw new UsageError('give exactly one of FILE.jsonl, --socket PATH or --libvirt URI --domain NAME');
    }
    if (socket !== undefined) {
      const live = await liveSample(socket);
      writeOut(formatDomstats(live.vm, live.sample, opts));
      return 0;
    }
    if (libvirt !== undefined) {
      const { target, close } = await libvirtTarget(libvirt, values.domain);
      try {
        const live = await liveSample(target);
        writeOut(formatDomstats(live.vm, live.sample, opts));
      } finally {
        await close();
      }
      return 0;
    }
    const untilText = values.until;
    const until = untilText === undefined ? undefined : Number(untilText);
    if (until !== undefined && !Number.isFinite(until)) throw new UsageError(`--until: not a number: ${untilText}`);
    const { records } = transcriptRecords(positionals[0]!, until === undefined ? {} : { until });
    const last = lastSample(records);
    if (!last) throw new QmpipeError('DOMSTATS_NO_SAMPLE', `no complete sample in ${positionals[0]}${until === undefined ? '' : ` up to ${until}`}`);
    writeOut(formatDomstats(last.vm, last.sample, opts));
    return 0;
  });
}
