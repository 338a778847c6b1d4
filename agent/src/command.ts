/**
 * `qmpipe agent --config agent.json`: runs the host agent until SIGTERM/SIGINT, then
 * drains in-flight samples to Kafka before exiting. Exit codes: 0 clean stop,
 * 2 usage or config error, 1 anything else.
 */
import { parseArgs } from 'node:util';
import { ConfigError, describeError } from '#common/errors.js';
import { createLogger } from '#common/log.js';
import { loadAgentConfig } from './config.js';
import { startAgent } from './main.js';

const help = `Usage: qmpipe agent --config FILE

Polls every configured QEMU VM over QMP (read-only) and publishes Avro records
to Kafka. See agent/README.md and agent/agent.example.json.

Options:
  --config FILE   agent config (JSON, validated strictly)
  --check         validate the config and exit
  -h, --help      this help

Environment: QMPIPE_KAFKA_BROKERS, QMPIPE_KAFKA_SASL_USERNAME, QMPIPE_KAFKA_SASL_PASSWORD,
QMPIPE_LOG_LEVEL.
`;

export async function run(argv: string[]): Promise<number> {
  let values: { config?: string; check?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    process.stderr.write(`qmpipe agent: ${(err as Error).message}\n${help}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  if (!values.config) {
    process.stderr.write(`qmpipe agent: --config is required\n${help}`);
    return 2;
  }
  let cfg;
  try {
    cfg = loadAgentConfig(values.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`qmpipe agent: ${describeError(err)}\n`);
      return 2;
    }
    throw err;
  }
  if (values.check) {
    process.stdout.write('config ok\n');
    return 0;
  }
  const log = createLogger({ app: 'qmpipe-agent' }, { level: process.env.QMPIPE_LOG_LEVEL ? undefined : cfg.log.level });
  if (!/--max-semi-space-size/.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`)) {
    log.info('tip: NODE_OPTIONS=--max-semi-space-size=4 keeps V8\'s young generation (most of the RSS) small; see agent/README.md');
  }
  const agent = await startAgent(cfg, { logger: log });
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info('stopping', { signal });
  await agent.stop();
  return 0;
}
