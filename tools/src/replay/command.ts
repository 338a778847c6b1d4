/**
 * `qmpipe replay FILE.jsonl [--emit rates,alerts,samples,rollups] [--config FILE]`:
 * the agent's sample building, the Avro round trip and the processor core over a
 * recorded transcript, printed as JSON lines (lines.ts). A thin shell: all logic
 * lives in the core.
 */
import { createLogger } from '#common/log.js';
import { UsageError, parseCommandArgs, runCommand, writeOut } from '#common/command.js';
import { loadProcessorConfig } from '#schemas/config/processor.js';
import { initialState } from '#processor/core/state/state.js';
import { createCore } from '#processor/core/step.js';
import { alertLine, rateLine, rollupLine, sampleLine } from './lines.js';
import { transcriptRecords } from '../transcript/decoded.js';

const help = `Usage: qmpipe replay FILE.jsonl [--emit rates,alerts,samples,rollups] [--config FILE] [--host NAME]

Replays a recorded QMP transcript through the agent's sample building, the Avro
encode/decode round trip and the processor core, and prints JSON lines on stdout:
  {"kind":"rate","t":<ms>,"vm":"<name>","series":"<dotted name>","value":<n>,"unit":"<unit>"}
  {"kind":"alert","t":<ms>,"vm":"<name>","type":"<type>","state":"firing|resolved","severity":"warning|critical",
   "device":"<dev>","backingIndex":<n>,"node":"<node>","value":<n>,"message":"<text>"}
Default --emit: rates,alerts. Malformed lines are skipped and counted (summary on stderr).
`;

const KINDS = ['rates', 'alerts', 'samples', 'rollups'] as const;
type Kind = (typeof KINDS)[number];

function parseEmit(v: string | undefined): Set<Kind> {
  const list = (v ?? 'rates,alerts')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const k of list) if (!(KINDS as readonly string[]).includes(k)) throw new UsageError(`--emit: unknown kind '${k}' (use ${KINDS.join(',')})`);
  return new Set(list as Kind[]);
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help);
    return 0;
  }
  return runCommand('replay', help, () => {
    const { values, positionals } = parseCommandArgs(argv, { emit: { type: 'string' }, config: { type: 'string' }, host: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('give exactly one transcript file');
    const emit = parseEmit(values.emit);
    const config = loadProcessorConfig(values.config);
    const host = values.host;
    const { records, stats } = transcriptRecords(positionals[0]!, host === undefined ? {} : { host });
    const core = createCore(config, { emitRates: emit.has('rates') });
    const state = initialState();
    const out: string[] = [];
    for (const rec of records) {
      const { outputs } = core.step(state, [rec]);
      if (emit.has('samples')) {
        const line = sampleLine(rec);
        if (line) out.push(line);
      }
      if (emit.has('rates')) for (const r of outputs.rates) out.push(rateLine(r));
      if (emit.has('alerts')) for (const a of outputs.alerts) out.push(alertLine(a));
      if (emit.has('rollups')) for (const r of outputs.rollups) out.push(rollupLine(r));
    }
    if (emit.has('rollups')) for (const r of core.flush(state).rollups) out.push(rollupLine(r));
    if (out.length > 0) writeOut(`${out.join('\n')}\n`);
    createLogger({ command: 'replay' }).info('replay done', { ...stats, records: records.length, counters: state.counters });
    return 0;
  });
}
