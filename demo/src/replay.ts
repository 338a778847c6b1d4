/**
 * Replay mode: no VM and no agent. The records the agent would have published for a
 * recorded QMP transcript (tools/src/transcript) go to the run's raw topic at the
 * recorded pace (× --speed); the processor, the view and the closing steps are the
 * same as in live mode. For machines without QEMU, and to reproduce bug reports.
 */
import { resolve } from 'node:path';
import { startProcessor } from '#processor/runtime/main.js';
import type { DemoContext } from './context.js';
import { produceTranscript, waitCaughtUp, waitRollupsStored, type ReplayProgress } from './kafka.js';
import type { RunOutcome } from './live.js';
import { processorConfig } from './options.js';
import { sleep } from '#common/sleep.js';
import type { Viewer } from './viewer.js';

export async function runReplay(ctx: DemoContext, viewer: Viewer, file: string): Promise<RunOutcome> {
  const { session, names, args } = ctx;
  const path = resolve(file);
  const facts: Array<[string, string]> = [['mode', `replay of ${path}${args.speed === 0 ? ', as fast as possible' : ` at ${args.speed}× the recorded pace`}`]];
  ctx.say(`starting the processor (group ${names.group}, bucket ${names.bucket})`);
  const procP = startProcessor(processorConfig(names, ctx.stack), ctx.log.child({ component: 'processor' }));
  session.onClose('processor', async () => {
    await (await procP.catch(() => null))?.stop();
  });
  await Promise.race([procP, session.interrupted]);
  if (session.signal.aborted) return { viewer, interrupted: true, reason: 'interrupted', facts };
  await viewer.start();
  session.onClose('view', () => viewer.stop());

  let quarter = 0;
  const onProgress = (p: ReplayProgress) => {
    if (p.produced === p.total || p.produced >= ((quarter + 1) * p.total) / 4) {
      quarter = Math.floor((4 * p.produced) / p.total);
      viewer.note(`replay: ${p.produced}/${p.total} records of VM ${p.vm} produced to ${names.raw}`);
    }
  };
  viewer.note(`replaying ${path}`);
  const stopProducing = new AbortController();
  session.signal.addEventListener('abort', () => stopProducing.abort(), { once: true });
  const limit = sleep(args.seconds * 1_000, stopProducing.signal).then(() => `the ${args.seconds} s limit`);
  const produced = produceTranscript(ctx.kafka, names, path, args.speed, stopProducing.signal, onProgress);
  const first = await Promise.race([produced.then(() => 'the transcript ended'), limit, session.interrupted.then(() => 'interrupted')]);
  stopProducing.abort();
  const p = await produced;
  if (session.signal.aborted) return { viewer, interrupted: true, reason: first, facts };
  facts.push(['VM', `${p.vm} (recorded), ${p.total} records`]);
  const caughtUp = await waitCaughtUp(ctx.kafka, names.group, names.raw, Math.max(5_000, args.seconds * 1_000 - (Date.now() - ctx.startedAt)), session.signal);
  if (!caughtUp) ctx.say('the processor did not catch up in time; results may miss the last records');
  await waitRollupsStored(ctx, 30_000, session.signal);
  await viewer.drain();
  await session.close('processor');
  await session.close('view');
  return { viewer, interrupted: session.signal.aborted, reason: first, facts };
}
