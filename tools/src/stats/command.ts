/**
 * `qmpipe stats`: every stat of a VM's latest query-stats replies, for people (HMP's
 * `info stats`, from QMP, read-only) or as JSON lines. Sources: a transcript, the VM's own
 * QMP socket, or a libvirt domain (QEMU's monitor through libvirt, as the agent's `qmp`
 * mode: libvirt marks the domain tainted `custom-monitor` on the first passthrough command).
 */
import { UsageError, parseCommandArgs, runCommand, writeOut } from '#common/command.js';
import { readOnlyAllowlist } from '#agent/qmp/allowlist.js';
import { QmpClient } from '#agent/qmp/client.js';
import type { QmpSession } from '#agent/qmp/session.js';
import { unixTarget, type VmTarget } from '#agent/poller/vmTarget.js';
import { libvirtTarget } from '../libvirtTarget.js';
import { cpuIndexes, jsonLine, statLines, type StatsFilter } from './statLines.js';
import { formatStats } from './statsFormat.js';
import { sessionStats, transcriptStats, type StatsReplies } from './statsSource.js';

const help = `Usage: qmpipe stats FILE.jsonl [--until MS] [options]
       qmpipe stats --socket PATH [options]
       qmpipe stats --libvirt qemu:///system --domain NAME [options]

Prints every stat of the VM's latest query-stats replies, like HMP's 'info stats' but
read from QMP (read-only): each stat with its type and its unit, base and exponent
applied (ns, KiB, * 10^-4 seconds), histograms as bucket bars with their ranges.

Options:
  --target vm|vcpu|T   only this target (repeatable; default: every target QEMU offers)
  --provider NAME      only this provider (kvm, cryptodev)
  --names a,b          only these stats
  --vcpus 0,2          only these vCPUs (query-cpus-fast cpu-index)
  --json               one line per stat:
                       {"target","provider","instance","name","type","unit","base","exponent","value"}
                       instance: the vCPU's qom path or "vm"; value: QEMU's raw value (a
                       number, a boolean or the bucket array); unit: null when QEMU gives none
  --until MS           (FILE) the replies up to this epoch ms
`;

function list(text: string | undefined, what: string): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UsageError(`${what}: empty list`);
  return items;
}

function vcpuList(text: string | undefined): number[] | undefined {
  return list(text, '--vcpus')?.map((s) => {
    if (!/^\d+$/.test(s)) throw new UsageError(`--vcpus: not a vCPU index: ${s}`);
    return Number(s);
  });
}

async function readLive(target: VmTarget, filter: StatsFilter): Promise<StatsReplies> {
  const opts = { allowlist: readOnlyAllowlist, connectTimeoutMs: 2000, handshakeTimeoutMs: 2000, commandTimeoutMs: 5000 };
  const session: QmpSession = target.open ? await target.open(opts) : await QmpClient.connect(target.transport, opts);
  try {
    return await sessionStats(session, filter.targets, filter.provider);
  } finally {
    await session.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help);
    return 0;
  }
  return runCommand('stats', help, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      socket: { type: 'string' },
      libvirt: { type: 'string' },
      domain: { type: 'string' },
      until: { type: 'string' },
      target: { type: 'string', multiple: true },
      provider: { type: 'string' },
      names: { type: 'string' },
      vcpus: { type: 'string' },
      json: { type: 'boolean' },
    });
    const { socket, libvirt } = values;
    if ([socket, libvirt, positionals[0]].filter((x) => x !== undefined).length !== 1 || positionals.length > 1) {
      throw new UsageError('give exactly one of FILE.jsonl, --socket PATH or --libvirt URI --domain NAME');
    }
    const filter: StatsFilter = { targets: values.target, provider: values.provider, names: list(values.names, '--names'), vcpus: vcpuList(values.vcpus) };
    let source: StatsReplies;
    if (socket !== undefined) source = await readLive(unixTarget(socket), filter);
    else if (libvirt !== undefined) {
      const { target, close } = await libvirtTarget(libvirt, values.domain);
      try {
        source = await readLive(target, filter);
      } finally {
        await close();
      }
    } else {
      const until = values.until === undefined ? Infinity : Number(values.until);
      if (Number.isNaN(until)) throw new UsageError(`--until: not a number: ${values.until}`);
      source = transcriptStats(positionals[0]!, until);
    }
    const lines = statLines(source.schemas, source.replies, cpuIndexes(source.cpus), filter);
    writeOut(values.json ? lines.map((l) => `${jsonLine(l)}\n`).join('') : formatStats(lines));
    return 0;
  });
}
