/**
 * `qmpipe demo [--replay FILE.jsonl] [--seconds N] [--speed X] [--no-view]`: the whole
 * pipeline on the local stack, with a live view, an operator, and a closing report
 * (see options.ts for the help text). The composition root: options → context →
 * live or replay flow → closing steps; the session stops whatever was started, also
 * on Ctrl-C. Progress lines on stderr (`[demo] …`), component logs in
 * .run/demo/<time>/demo.log, the view and the results on stdout.
 */
import { describeError } from '#common/errors.js';
import { writeOut } from '#common/command.js';
import { installKafkajsGuards } from '#common/kafkajsGuards.js';
import { createContext, type DemoContext } from './context.js';
import { finish } from './finish.js';
import { runLive, type RunOutcome } from './live.js';
import { help, parseDemoArgs } from './options.js';
import { runReplay } from './replay.js';
import { createDemoTopics } from './kafka.js';
import { Viewer } from './viewer.js';

async function runFlow(ctx: DemoContext): Promise<RunOutcome> {
  const { names, args } = ctx;
  await createDemoTopics(ctx.kafka, names);
  const title = args.replay ? `qmpipe demo ${names.id} · replay` : `qmpipe demo ${names.id} · live VM ${names.vm}`;
  const viewer = new Viewer(ctx.kafka, {
    mode: ctx.mode,
    title,
    startedAt: ctx.startedAt,
    topics: { alerts: names.alerts, rates: names.rates },
    groupId: `${names.group}-view`,
    out: process.stdout,
  });
  return args.replay ? runReplay(ctx, viewer, args.replay) : runLive(ctx, viewer);
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help);
    return 0;
  }
  installKafkajsGuards();
  let ctx: DemoContext;
  try {
    ctx = createContext(parseDemoArgs(argv), process.env, process.stdout.isTTY === true);
  } catch (err) {
    process.stderr.write(`qmpipe demo: ${describeError(err)}\n\n${help}`);
    return 2;
  }
  const uninstall = ctx.session.installSignals();
  ctx.say(`run ${ctx.names.id}: output in ${ctx.outDir} (component logs: demo.log)`);
  let code = 0;
  try {
    const outcome = await runFlow(ctx);
    await ctx.session.closeAll();
    if (outcome.interrupted) {
      code = 130;
    } else {
      const done = await finish(ctx, outcome);
      writeOut(done.text);
      if (done.missingRollups > 0) {
        ctx.say(`${done.missingRollups} rollup windows never reached S3 (see "MISSING" above)`);
        code = 1;
      }
    }
  } catch (err) {
    ctx.say(`failed: ${describeError(err)}`);
    code = 1;
  } finally {
    await ctx.session.closeAll();
    uninstall();
    ctx.say(code === 130 ? 'interrupted; everything this demo started is stopped' : `qmpipe demo finished (exit ${code})`);
    ctx.logStream.end();
  }
  return code;
}
