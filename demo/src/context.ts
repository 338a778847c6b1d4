/**
 * One demo run's context: names, connections, the run directory, logging and the
 * session of things to stop. Built once by command.ts and handed to the live or
 * replay flow and to the closing steps.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { createLogger, type Logger } from '#common/log.js';
import { packageRoot } from '#common/paths.js';
import { demoKafka } from './kafka.js';
import { demoNames, stackEnv, stamp, type DemoArgs, type DemoNames, type StackEnv } from './options.js';
import { Session } from './session.js';
import type { ViewMode } from './viewer.js';

export interface DemoContext {
  args: DemoArgs;
  names: DemoNames;
  stack: StackEnv;
  kafka: Kafka;
  /** QMPIPE_RUN_DIR (the infra scripts' run dir). */
  runDir: string;
  /** .run/demo/<time>: report, log, copies of the rollups. */
  outDir: string;
  mode: ViewMode;
  /** Wall-clock ms: this process started the demo / the command the user typed started (QMPIPE_DEMO_T0_MS from demo.sh). */
  startedAt: number;
  commandAt: number;
  /** Component logs (agent, processor): JSON lines to outDir/demo.log; warnings also on stderr unless the TTY view is on. */
  log: Logger;
  /** A progress line on stderr: `[demo] …`. */
  say: (line: string) => void;
  session: Session;
  logStream: WriteStream;
}

function componentLogger(file: WriteStream, echoWarnings: boolean): Logger {
  return createLogger(
    {},
    {
      level: 'info',
      write: (line) => {
        file.write(line);
        // kafkajs's own connection chatter (e.g. "group coordinator not available" while a fresh
        // broker creates __consumer_offsets; it retries) stays in the file.
        if (echoWarnings && /"level":"(warn|error)"/.test(line) && !line.includes('"kafkajs":')) process.stderr.write(line);
      },
    },
  );
}

export function createContext(args: DemoArgs, env: NodeJS.ProcessEnv, stdoutIsTty: boolean): DemoContext {
  const startedAt = Date.now();
  const runDir = env.QMPIPE_RUN_DIR || join(packageRoot(), '.run');
  const stackFile = join(runDir, 'stack.env');
  const stack = stackEnv(env, existsSync(stackFile) ? readFileSync(stackFile, 'utf8') : null);
  const names = demoNames(randomBytes(3).toString('hex'));
  let outDir = join(runDir, 'demo', stamp(startedAt));
  if (existsSync(outDir)) outDir = `${outDir}-${names.id}`;
  mkdirSync(outDir, { recursive: true });
  const mode: ViewMode = args.view === 'off' ? 'off' : stdoutIsTty ? 'tty' : 'compact';
  const logStream = createWriteStream(join(outDir, 'demo.log'), { flags: 'a' });
  const say = (line: string) => process.stderr.write(`[demo] ${line}\n`);
  const t0 = Number(env.QMPIPE_DEMO_T0_MS);
  return {
    args,
    names,
    stack,
    kafka: demoKafka(names, stack),
    runDir,
    outDir,
    mode,
    startedAt,
    commandAt: Number.isFinite(t0) && t0 > 0 && t0 <= startedAt ? t0 : startedAt,
    log: componentLogger(logStream, mode !== 'tty'),
    say,
    session: new Session(say),
    logStream,
  };
}
