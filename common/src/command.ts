/**
 * What every `qmpipe` command shares: arguments parsed with node:util.parseArgs
 * (strict: an unknown option or a missing value is a usage error), usage and typed
 * errors turned into a message on stderr and an exit code (2 usage or config, 1 other
 * failures), and stdout that ends quietly when its reader goes away (`| head`).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, describeError } from './errors.js';

/** A mistake in the command line: reported with the command's help, exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util.parseArgs with positionals allowed, its errors as UsageErrors. */
export function parseCommandArgs<O extends Options>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
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
    return err instanceof ConfigError ? 2 : 1;
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
