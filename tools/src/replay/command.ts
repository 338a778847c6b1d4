/**
 * `qmpipe replay FILE.jsonl… [--emit rates,alerts,samples,rollups,deadletters] [--config FILE]
 * [--host NAME[,NAME…]] [--skew I=±DURATION…]`: the agent's sample building, the Avro round
 * trip and the processor core over recorded transcripts, printed as JSON lines (lines.ts).
 * One transcript: the core alone, record by record. Several (or a skew): one host each,
 * through one partition (fleet.ts). A thin shell: all logic lives in the core.
 */
import { createLogger } from '#common/log.js';
import { UsageError, parseCommandArgs, runCommand, writeOut } from '#common/command.js';
import { loadProcessorConfig, type ProcessorConfig } from '#schemas/config/processor.js';
import { ProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { decodeRaw } from '#schemas/codecs/raw.js';
import { initialState } from '#processor/core/state/state.js';
import { createCore } from '#processor/core/step.js';
import { alertLine, deadLetterLine, rateLine, rollupLine, sampleLine, withHost } from './lines.js';
import { fleetMessages, hostNames, parseSkews, replayFleet } from './fleet.js';
import { transcriptRecords } from '../transcript/decoded.js';

const help = `Usage: qmpipe replay FILE.jsonl [FILE.jsonl …] [--emit rates,alerts,samples,rollups,deadletters]
                     [--config FILE] [--host NAME[,NAME…]] [--skew I=±DURATION …]

Replays recorded QMP transcripts through the agent's sample building, the Avro
encode/decode round trip and the processor core, and prints JSON lines on stdout:
  {"kind":"rate","t":<ms>,"vm":"<name>","series":"<dotted name>","value":<n>,"unit":"<unit>"}
  {"kind":"alert","t":<ms>,"vm":"<name>","type":"<type>","state":"firing|resolved","severity":"warning|critical",
   "device":"<dev>","backingIndex":<n>,"node":"<node>","value":<n>,"message":"<text>"}
Default --emit: rates,alerts. Malformed lines are skipped and counted (summary on stderr).

One transcript: the core alone, record by record (host 'replay', or --host NAME).

Several transcripts (or any --skew): a fleet on one partition. Each transcript is one
host (host-1, host-2, … or --host a,b,…); their records are merged in true-time order,
as the raw topic delivers them, and go through the runtimes' partition step (allowed
lateness: the processor's default, 10 s): rollup rows come window by window, and every
line carries "host". --skew I=±DURATION (repeatable; DURATION in ms, s, m or h, e.g.
--skew 2=+2m, --skew 1=-90s) stamps transcript I's records with a clock that far off;
each message's broker timestamp stays the true time (message.timestamp.type=LogAppendTime).
Refused records are dead letters: {"kind":"deadletter","offset","code","reason","host"}.
`;

const KINDS = ['rates', 'alerts', 'samples', 'rollups', 'deadletters'] as const;
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
    const { values, positionals } = parseCommandArgs(argv, {
      emit: { type: 'string' },
      config: { type: 'string' },
      host: { type: 'string' },
      skew: { type: 'string', multiple: true },
    });
    if (positionals.length === 0) throw new UsageError('give a transcript file');
    const emit = parseEmit(values.emit);
    const config = loadProcessorConfig(values.config);
    const skews = values.skew ?? [];
    const out =
      positionals.length === 1 && skews.length === 0
        ? replayOne(positionals[0]!, values.host, config, emit)
        : replayMany(positionals, values.host, skews, config, emit);
    if (out.length > 0) writeOut(`${out.join('\n')}\n`);
    return 0;
  });
}

function replayOne(file: string, host: string | undefined, config: ProcessorConfig, emit: Set<Kind>): string[] {
  const { records, stats } = transcriptRecords(file, host === undefined ? {} : { host });
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
  createLogger({ command: 'replay' }).info('replay done', { ...stats, records: records.length, counters: state.counters });
  return out;
}

function replayMany(files: readonly string[], hostList: string | undefined, skewSpecs: readonly string[], config: ProcessorConfig, emit: Set<Kind>): string[] {
  const names = hostNames(hostList, files.length);
  const skews = parseSkews(skewSpecs, files.length);
  const hosts = files.map((f, i) => ({ name: names[i]!, records: transcriptRecords(f, { host: names[i]! }).records, skewMs: skews.get(i) ?? 0 }));
  const hostOfVm = new Map(hosts.flatMap((h) => h.records.map((r) => [r.vm.uuid, h.name] as const)));
  const messages = fleetMessages(hosts);
  const env = {
    core: createCore(config, { emitRates: emit.has('rates') }),
    decode: decodeRaw,
    allowedLatenessMs: ProcessorRuntimeConfig.shape.rollups.parse({}).allowedLatenessMs,
  };
  const out: string[] = [];
  const run = replayFleet(messages, env);
  let next = run.next();
  for (let i = 0; !next.done; next = run.next(), i++) {
    const { host, outputs } = next.value;
    if (emit.has('samples') && host !== null) {
      const line = sampleLine(decodeRaw(messages[i]!.message.value!));
      if (line) out.push(withHost(line, host));
    }
    if (emit.has('deadletters')) for (const d of outputs.deadLetters) out.push(withHost(deadLetterLine(d), messages[d.offset]!.host));
    if (emit.has('rates')) for (const r of outputs.rates) out.push(withHost(rateLine(r), r.host));
    if (emit.has('alerts')) for (const a of outputs.alerts) out.push(withHost(alertLine(a), a.labels.host));
    if (emit.has('rollups')) for (const w of outputs.windows) for (const r of w.rows) out.push(withHost(rollupLine(r), hostOfVm.get(r.vmUuid) ?? ''));
  }
  const state = next.value;
  createLogger({ command: 'replay' }).info('replay done', {
    hosts: hosts.map((h) => ({ host: h.name, records: h.records.length, skewMs: h.skewMs })),
    deadLetters: state.deadLetters,
    lateRollupRows: state.rollups.late,
    counters: state.core.counters,
  });
  return out;
}
