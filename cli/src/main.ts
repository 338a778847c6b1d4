/**
 * `qmpipe <command> [options]`: the single CLI entry point. Each command lives
 * with its app and is loaded lazily, so `qmpipe --help` stays fast.
 * Add a command by adding one row to `commands`.
 */
export interface Command {
  name: string;
  summary: string;
  /** Runs the command with its own argv; resolves to the process exit code. */
  load: () => Promise<{ run: (argv: string[]) => Promise<number> }>;
}

export const commands: Command[] = [
  {
    name: 'replay',
    summary: 'replay a recorded QMP transcript through sample building, Avro and the processor core; print rates and alerts as JSON lines',
    load: () => import('#tools/replay/command.js'),
  },
  {
    name: 'domstats',
    summary: "print a transcript's (or a live socket's) latest sample like virsh domstats --block [--backing]",
    load: () => import('#tools/domstats/command.js'),
  },
  {
    name: 'stats',
    summary: "every stat of a VM's latest query-stats replies (HMP's info stats, read-only, from QMP): a transcript, a socket or a libvirt domain",
    load: () => import('#tools/stats/command.js'),
  },
  { name: 'agent', summary: 'run the host agent: poll QEMU VMs over QMP (read-only), publish Avro to Kafka', load: () => import('#agent/command.js') },
  {
    name: 'top',
    summary: 'live terminal view of VMs (local QMP sockets, a transcript, or the fleet from Kafka); --once --json for one frame',
    load: () => import('#top/command.js'),
  },
  { name: 'record', summary: "record one VM's QMP poll traffic as a transcript (shared fixture format)", load: () => import('#tools/record/command.js') },
  {
    name: 'processor',
    summary: 'run the stream processor: Kafka consumer group, exactly-once alerts, checkpoints, Parquet rollups on S3',
    load: () => import('#processor/runtime/command.js'),
  },
  {
    name: 'topics',
    summary: "create the pipeline's missing topics with their configs (raw, schemas, checkpoints, alerts, rates, dead letters); --dry-run",
    load: () => import('#processor/runtime/topicsCommand.js'),
  },
  {
    name: 'athena-ddl',
    summary: 'print the Athena / Glue table over the Parquet rollups (columns and resolutions of the config)',
    load: () => import('#processor/runtime/athenaCommand.js'),
  },
  {
    name: 'alerts',
    summary: 'alert consumers: tail the alerts topic (human or JSON lines), or forward firing/resolved alerts to Alertmanager',
    load: () => import('#alerts/command.js'),
  },
  {
    name: 'demo',
    summary: 'the whole pipeline on the local stack: a test VM fills a thin disk (or --replay a transcript), live view, operator, S3 rollups, HTML report',
    load: () => import('#demo/command.js'),
  },
  { name: 'stack', summary: 'start, check or stop the local Kafka + S3Proxy stack (infra/)', load: () => import('./stack.js') },
];

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'qmpipe: watch QEMU/KVM VMs over QMP, stream Avro samples through Kafka, alert and roll up to S3.',
    '',
    'Usage: qmpipe <command> [options]      (qmpipe <command> --help for details)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write('qmpipe 0.1.0\n');
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`qmpipe: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = await cmd.load();
  return mod.run(rest);
}
