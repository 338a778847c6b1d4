/**
 * `qmpipe domstats FILE.jsonl|--socket PATH [--backing] [--until MS]`: the latest
 * sample in `virsh domstats --block [--backing]` layout (domstats.ts), from a
 * recorded transcript (cut at --until, epoch ms) or from a live QMP socket.
 */
import { QmpipeError } from '#common/errors.js';
import { UsageError, parseCommandArgs, runCommand, writeOut } from '#common/command.js';
import { formatDomstats } from './domstats.js';
import { liveSample } from './liveSample.js';
import { libvirtTarget } from '../libvirtTarget.js';
import { lastSample, transcriptRecords } from '../transcript/decoded.js';

const help = `Usage: qmpipe domstats FILE.jsonl [--until MS] [--backing]
       qmpipe domstats --socket PATH [--backing]
       qmpipe domstats --libvirt qemu:///system --domain NAME [--backing]

Prints the latest sample like 'virsh domstats --block [--backing]' (block.count,
block.N.name/path/backingIndex/rd.*/wr.*/fl.*/allocation/capacity/physical/threshold).
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
    });
    const backing = values.backing === true;
    const { socket, libvirt } = values;
    if ([socket, libvirt, positionals[0]].filter((x) => x !== undefined).length !== 1 || positionals.length > 1) {
      throw new UsageError('give exactly one of FILE.jsonl, --socket PATH or --libvirt URI --domain NAME');
    }
    if (socket !== undefined) {
      const live = await liveSample(socket);
      writeOut(formatDomstats(live.vm, live.sample, { backing }));
      return 0;
    }
    if (libvirt !== undefined) {
      const { target, close } = await libvirtTarget(libvirt, values.domain);
      try {
        const live = await liveSample(target);
        writeOut(formatDomstats(live.vm, live.sample, { backing }));
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
    writeOut(formatDomstats(last.vm, last.sample, { backing }));
    return 0;
  });
}
