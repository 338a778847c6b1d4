/**
 * Shared pieces of the processor's commands (`qmpipe replay`, `qmpipe domstats`):
 * a small argv parser that fails with clear messages, and config loading (file →
 * JSON → strict zod schema, failing fast with the zod path).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, describeError } from './errors.js';
import { ProcessorConfig } from '#schemas/config/processor.js';

export interface ParsedArgs {
  positional: string[];
  flags: Set<string>;
  values: Map<string, string>;
}

export class UsageError extends Error {}

/** Parses argv: `--flag`, `--key value` / `--key=value` for keys in `withValue`, and positionals. */
export function parseArgs(argv: readonly string[], spec: { flags: readonly string[]; withValue: readonly string[] }): ParsedArgs {
  const out: ParsedArgs = { positional: [], flags: new Set(), values: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--') || a === '--') {
      out.positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (spec.flags.includes(name) && eq < 0) out.flags.add(name);
    else if (spec.withValue.includes(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      out.values.set(name, v);
    } else throw new UsageError(`unknown option --${name}`);
  }
  return out;
}

export function parseProcessorConfig(raw: unknown, source = 'processor config'): ProcessorConfig {
  const res = ProcessorConfig.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const path = issue.path.map(String).join('.') || '(root)';
    throw new ConfigError(`${source}: ${path}: ${issue.message}`, { context: { path, issues: res.error.issues.length } });
  }
  return res.data;
}

/**
 * Reads and validates a processor config file; undefined → all defaults. A runtime
 * config (`qmpipe processor --config`, with kafka/s3 and the core's settings under
 * `core`) is accepted too: its `core` section is used.
 */
export function loadProcessorConfig(file: string | undefined): ProcessorConfig {
  if (file === undefined) return ProcessorConfig.parse({});
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigError(`cannot read processor config ${file}: ${describeError(cause)}`, { cause });
  }
  const isRuntime = typeof raw === 'object' && raw !== null && 'core' in raw && 'kafka' in raw;
  return isRuntime ? parseProcessorConfig((raw as { core: unknown }).core, `${file} (core)`) : parseProcessorConfig(raw, file);
}

/** Runs a command body, turning usage and typed errors into a message and an exit code. */
export async function runCommand(name: string, help: string, body: () => Promise<number> | number): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`qmpipe ${name}: ${err.message}\n\n${help}`);
      return 2;
    }
    process.stderr.write(`qmpipe ${name}: ${describeError(err)}\n`);
    return 1;
  }
}

/** Writes command output to stdout; a closed pipe (`| head`) ends the process quietly. */
export function writeOut(text: string): void {
  if (process.stdout.listenerCount('error') === 0) {
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  process.stdout.write(text);
}
