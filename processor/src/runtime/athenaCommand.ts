/**
 * `qmpipe athena-ddl [--config FILE]`: prints the Athena / Glue table over the rollup
 * objects (sinks/athenaDdl.ts) for the config's resolutions (the defaults without one).
 * infra/deploy/athena/rollups.sql is its output with no config.
 * Exit codes: 0 done, 2 usage or config error.
 */
import { loadConfig } from '#common/config.js';
import { UsageError, parseCommandArgs, runCommand, writeOut } from '#common/command.js';
import { PROCESSOR_ENV } from '#schemas/config/env.js';
import { ProcessorConfig } from '#schemas/config/processor.js';
import { ProcessorRuntimeConfig, ProcessorS3Config } from '#schemas/config/processorRuntime.js';
import { athenaDdl } from '../sinks/athenaDdl.js';

const help = `Usage: qmpipe athena-ddl [--config FILE]

Prints the Athena / Glue CREATE TABLE over the Parquet rollups: every column the
processor writes and the partition projection of its resolutions (core.rollup.resolutionsMs).

Options:
  --config FILE   the processor's config (JSON); without it, the default resolutions
  -h, --help      this help
`;

const DdlConfig = ProcessorRuntimeConfig.extend({ s3: ProcessorS3Config.optional() });

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help);
    return 0;
  }
  return runCommand('athena-ddl', help, async () => {
    const { values, positionals } = parseCommandArgs(argv, { config: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const core =
      values.config === undefined
        ? ProcessorConfig.parse({})
        : loadConfig(DdlConfig, 'processor config', PROCESSOR_ENV, { file: values.config, env: process.env }).core;
    writeOut(athenaDdl(core.rollup.resolutionsMs));
    return 0;
  });
}
