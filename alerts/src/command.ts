/**
 * `qmpipe alerts tail|forward`: the alert consumers' CLI. Exit codes: 0 done (or
 * stopped by SIGINT/SIGTERM), 2 usage or invalid options, 1 anything else.
 */
import { ConfigError, QmpipeError, describeError } from '#common/errors.js';
import { installKafkajsGuards } from '#common/kafkajsGuards.js';
import { createLogger } from '#common/log.js';
import { UsageError, parseCommandArgs, writeOut } from '#common/command.js';
import { parseDuration, parseForwardOptions, parseTailOptions } from './config.js';
import { startForwarder } from './forward.js';
import { runTail } from './tail.js';

const help = `Usage: qmpipe alerts tail [--follow] [--from-now] [--json] [--brokers H:P[,..]] [--topic NAME]
       qmpipe alerts forward --alertmanager URL [--resend-interval 1m] [--resolved-horizon 1h]
                             [--generator-url URL] [--brokers H:P[,..]] [--topic NAME]

Consumers of the processor's alerts topic (Avro, schemas/avro/alert.avsc), read with
isolation.level=read_committed. Records that do not decode are skipped and counted.

tail      prints one line per transition: time, FIRING/RESOLVED, severity, type,
          vm device[backing index], value (threshold), message. Colours on a terminal
          (not with NO_COLOR). From the oldest transition the topic holds; exits once
          it has printed what the topic held at start. Each alert's transitions come
          in order; partitions interleave (so lines are not globally sorted by time).
  --follow        keep printing new transitions until Ctrl-C
  --from-now      only transitions published from now on
  --json          one JSON object per line (the Avro record's fields)

forward   posts alerts to Alertmanager (POST <URL>/api/v2/alerts): reads the topic from
          the beginning to rebuild the set of firing alerts, then posts firing alerts
          (endsAt = now + 4 x resend interval, re-sent every interval) and resolutions
          (endsAt = when they resolved). Labels: alertname (qmpipe_<type>), severity,
          host, vm, vm_uuid, device, backing_index, node, job (non-empty ones).
          Annotations: summary, description, value, threshold, eta, paused_ms,
          observed_at, alert_id. Runs until SIGINT/SIGTERM; keeps retrying while
          Alertmanager or Kafka is down.
  --alertmanager URL       Alertmanager base URL, e.g. http://127.0.0.1:9093 (required)
  --resend-interval DUR    default 1m (DUR: 500ms, 30s, 5m, 1h)
  --resolved-horizon DUR   at start, resolutions older than this are not re-posted; default 1h
  --generator-url URL      put URL?alert=<id> in each alert's generatorURL

Common:
  --brokers H:P[,..]       Kafka bootstrap brokers (default: env QMPIPE_KAFKA_BROKERS)
  --topic NAME             alerts topic (default qmpipe.alerts)
  --check                  validate the options (flags and environment) and exit
  -h, --help               this help

Environment: QMPIPE_KAFKA_BROKERS, QMPIPE_KAFKA_SASL_MECHANISM, QMPIPE_KAFKA_SASL_USERNAME,
QMPIPE_KAFKA_SASL_PASSWORD, QMPIPE_KAFKA_TLS, QMPIPE_KAFKA_TLS_CA_FILE, QMPIPE_KAFKA_TLS_CERT_FILE,
QMPIPE_KAFKA_TLS_KEY_FILE (mutual TLS), QMPIPE_LOG_LEVEL (logs are JSON lines on stderr).
`;

/** The command's flags (node:util.parseArgs options). */
export const options = {
  brokers: { type: 'string' },
  topic: { type: 'string' },
  follow: { type: 'boolean' },
  'from-now': { type: 'boolean' },
  json: { type: 'boolean' },
  alertmanager: { type: 'string' },
  'resend-interval': { type: 'string' },
  'resolved-horizon': { type: 'string' },
  'generator-url': { type: 'string' },
  check: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof options>>['values'];

const tailOnly = ['follow', 'from-now', 'json'] as const;
const forwardOnly = ['alertmanager', 'resend-interval', 'resolved-horizon', 'generator-url'] as const;

function refuse(sub: string, values: Values, names: readonly (keyof Values)[]): void {
  const given = names.filter((n) => values[n] !== undefined);
  if (given.length > 0) throw new UsageError(`--${String(given[0])} is not an option of 'alerts ${sub}'`);
}

/** argv → a subcommand's settings by dotted path (validated with the environment's by config.ts). Exported for tests. */
export function flagOptions(sub: 'tail' | 'forward', values: Values): Record<string, unknown> {
  const brokers = values.brokers
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const common = { 'kafka.brokers': brokers, topic: values.topic };
  if (sub === 'tail') {
    refuse(sub, values, forwardOnly);
    return { ...common, mode: values.follow ? 'follow' : 'until-end', from: values['from-now'] ? 'now' : 'beginning', format: values.json ? 'json' : 'human' };
  }
  refuse(sub, values, tailOnly);
  const dur = (name: 'resend-interval' | 'resolved-horizon'): number | undefined => {
    const v = values[name];
    return v === undefined ? undefined : parseDuration(v, name);
  };
  if (values.alertmanager === undefined) throw new UsageError('--alertmanager URL is required');
  return {
    ...common,
    alertmanager: values.alertmanager,
    resendIntervalMs: dur('resend-interval'),
    resolvedHorizonMs: dur('resolved-horizon'),
    generatorUrl: values['generator-url'],
  };
}

function onTermination(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

/**
 * After a command has cleaned up: if something still holds the event loop half a second
 * later (kafkajs retrying a connect to an unreachable broker), exit anyway. The timer is
 * unref'd, so it never delays a clean exit.
 */
function exitSoon(code: number): number {
  setTimeout(() => process.exit(code), 500).unref();
  return code;
}

/** `--check`: the options validated (a ConfigError or UsageError has been thrown otherwise). */
function optionsOk(): number {
  process.stdout.write('options ok\n');
  return 0;
}

async function tail(values: Values): Promise<number> {
  const o = parseTailOptions(flagOptions('tail', values), process.env);
  if (values.check) return optionsOk();
  const log = createLogger({ app: 'qmpipe-alerts', command: 'tail' }, { level: o.log.level });
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const res = await runTail(o, { write: writeOut, color, log, stop: onTermination().then(() => {}) });
  if (res.undecodable > 0) log.warn('skipped alert records that do not decode', { topic: o.topic, undecodable: res.undecodable, printed: res.printed });
  return exitSoon(0);
}

async function forward(values: Values): Promise<number> {
  const o = parseForwardOptions(flagOptions('forward', values), process.env);
  if (values.check) return optionsOk();
  const log = createLogger({ app: 'qmpipe-alerts', command: 'forward' }, { level: o.log.level });
  log.info('forwarding alerts', { topic: o.topic, brokers: o.kafka.brokers, alertmanager: o.alertmanager, resendIntervalMs: o.resendIntervalMs });
  const forwarder = startForwarder(o, { log });
  const signal = await onTermination();
  log.info('stopping', { signal });
  await forwarder.stop();
  return exitSoon(0);
}

export async function run(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommandArgs(argv, options);
    if (values.help) {
      process.stdout.write(help);
      return 0;
    }
    const sub = positionals[0];
    if (positionals.length !== 1 || (sub !== 'tail' && sub !== 'forward')) throw new UsageError("give one subcommand: 'tail' or 'forward'");
    installKafkajsGuards();
    return sub === 'tail' ? await tail(values) : await forward(values);
  } catch (err) {
    const usage = err instanceof UsageError;
    const hint = usage ? `\n${help}` : err instanceof ConfigError ? "(see 'qmpipe alerts --help')\n" : '';
    // Our typed errors carry their cause's message already (kafkajs nests its own in each retry).
    const text = err instanceof QmpipeError ? err.message : describeError(err);
    process.stderr.write(`qmpipe alerts: ${text}\n${hint}`);
    return usage || err instanceof ConfigError ? 2 : 1;
  }
}
