/**
 * `qmpipe agent --config agent.json`: runs the host agent until SIGTERM/SIGINT, then
 * drains in-flight samples to Kafka before exiting. Exit codes: 0 clean stop,
 * 2 usage or config error, 1 anything else.
 */
import { UsageError, parseCommandArgs, runCommand } from '#common/command.js';
import { installKafkajsGuards } from '#common/kafkajsGuards.js';
import { createLogger } from '#common/log.js';
import { loadAgentConfig } from '#schemas/config/agent.js';
import { startAgent } from './main.js';

const help = `Usage: qmpipe agent --config FILE

Polls every configured QEMU VM over QMP (read-only) and publishes Avro records
to Kafka. See agent/README.md and agent/agent.example.json.

Options:
  --config FILE   agent config (JSON, validated strictly)
  --check         validate the config and exit
  -h, --help      this help

Environment: QMPIPE_KAFKA_BROKERS, QMPIPE_KAFKA_SASL_*, QMPIPE_KAFKA_TLS*, QMPIPE_LOG_LEVEL
(schemas/CONFIG.md).
`;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help);
    return 0;
  }
  return runCommand('agent', help, async () => {
    const { values, positionals } = parseCommandArgs(argv, { config: { type: 'string' }, check: { type: 'boolean' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!values.config) throw new UsageError('--config is required');
    const cfg = loadAgentConfig({ file: values.config, env: process.env });
    if (values.check) {
      process.stdout.write('config ok\n');
      return 0;
    }
    installKafkajsGuards();
    const log = createLogger({ app: 'qmpipe-agent' }, { level: cfg.log.level });
    if (!/--max-semi-space-size/.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`)) {
      log.info("tip: NODE_OPTIONS=--max-semi-space-size=4 keeps V8's young generation (most of the RSS) small; see agent/README.md");
    }
    const agent = await startAgent(cfg, { logger: log });
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    log.info('stopping', { signal });
    await agent.stop();
    return 0;
  });
}
