/**
 * Live mode: a test VM fills a thin qcow2 on a loop device; the agent (in-process)
 * polls it into Kafka, the processor (in-process) turns that into rates, alerts and
 * rollups, the view follows the alerts and rates topics, and the operator grows,
 * resumes, snapshots and commits on the VM's operator socket.
 *
 * Start order: processor ∥ VM boot → agent → view → operator. Orderly end: operator,
 * agent (drains its spool), wait until the processor committed every raw record,
 * view drains, processor, VM. Ctrl-C: the session stops whatever is running.
 */
import { join } from 'node:path';
import { startAgent, type AgentHandle } from '#agent/main.js';
import { startProcessor, type RunningProcessor } from '#processor/runtime/main.js';
import type { DemoContext } from './context.js';
import { defaultOperatorConfig, type OperatorConfig } from './operator.js';
import { OperatorShell } from './operatorShell.js';
import { agentConfig, processorConfig } from './options.js';
import { libvirtLink } from './libvirtLink.js';
import { socketLink } from './operatorLink.js';
import { startLibvirtVm, startVm, stopLibvirtVm, stopVm, withProgress, type DemoVm, type VmSpec } from './scripts.js';
import { sleep } from '#common/sleep.js';
import type { Viewer } from './viewer.js';
import { waitCaughtUp, waitRollupsStored } from './kafka.js';

export interface RunOutcome {
  viewer: Viewer;
  interrupted: boolean;
  reason: string;
  facts: Array<[string, string]>;
}

/** Like the fixture: a 256 MiB qcow2 on a 96 MiB device, the guest writing 8 MiB/s (30 s = 240 MiB). */
export const VM_SPEC = { diskMiB: 256, backingMiB: 96, rateMiBps: 8, seconds: 30, delaySeconds: 5 } as const;

/** Resolves with the started thing, or with null if start failed; on interrupt keeps going so the closer can stop it. */
function started<T>(p: Promise<T>): Promise<T | null> {
  return p.catch(() => null);
}

type LiveVm = DemoVm & { backingFile?: string; libvirtSocket?: string };

async function startPipeline(ctx: DemoContext): Promise<{ vm: LiveVm; processor: RunningProcessor; agent: AgentHandle }> {
  const { names, session, say } = ctx;
  const spec: VmSpec = { name: names.vm, ...VM_SPEC };
  const kind = ctx.args.libvirt ? 'libvirt domain' : 'test VM';
  say(`starting the processor (group ${names.group}, bucket ${names.bucket}) while ${kind} ${names.vm} boots`);
  const vmP: Promise<LiveVm> = withProgress(
    `booting ${kind} ${names.vm}`,
    ctx.args.libvirt ? startLibvirtVm(spec, ctx.runDir) : startVm(spec, ctx.runDir),
    say,
  );
  session.onClose('test VM', async () => {
    await started(vmP);
    await (ctx.args.libvirt ? stopLibvirtVm(names.vm) : stopVm(names.vm));
  });
  const procP = startProcessor(processorConfig(names, ctx.stack), ctx.log.child({ component: 'processor' }));
  session.onClose('processor', async () => {
    await (await started(procP))?.stop();
  });
  const [vm, processor] = await Promise.all([vmP, procP]);
  say(
    `VM ${vm.name} up (${vm.accel}, disk on ${vm.diskMode === 'loop' ? `loop device ${vm.loop}` : 'a file: no ENOSPC pause'}, boot ${vm.bootSeconds} s); starting the agent`,
  );
  const where = vm.libvirtSocket ? { libvirtSocket: vm.libvirtSocket, domain: vm.name } : { socket: vm.qmpAgent };
  const agentP = startAgent(agentConfig(names, ctx.stack, where), { logger: ctx.log.child({ component: 'agent' }) });
  session.onClose('agent', async () => {
    await (await started(agentP))?.stop();
  });
  return { vm, processor, agent: await agentP };
}

function operatorConfig(vm: DemoVm): OperatorConfig {
  return { ...defaultOperatorConfig, backingMiB: VM_SPEC.backingMiB, diskMiB: VM_SPEC.diskMiB, overlayPath: join(vm.vmDir, 'top.qcow2') };
}

export async function runLive(ctx: DemoContext, viewer: Viewer): Promise<RunOutcome> {
  const { session, args } = ctx;
  const limit = new AbortController();
  session.signal.addEventListener('abort', () => limit.abort(), { once: true });
  try {
    return await runUntilDone(
      ctx,
      viewer,
      sleep(args.seconds * 1_000, limit.signal).then(() => `the ${args.seconds} s limit`),
    );
  } finally {
    limit.abort(); // no timer may outlive the run: the process exits when its work is done
  }
}

async function runUntilDone(ctx: DemoContext, viewer: Viewer, timeLimit: Promise<string>): Promise<RunOutcome> {
  const { session, names } = ctx;
  const stopRun = Promise.race([session.interrupted.then(() => 'interrupted'), timeLimit]);
  const pipeline = await Promise.race([startPipeline(ctx), session.interrupted.then(() => null)]);
  const facts: Array<[string, string]> = [['mode', ctx.args.libvirt ? 'live libvirt domain (agent through libvirtd, qmp mode)' : 'live test VM']];
  if (!pipeline || session.signal.aborted) return { viewer, interrupted: true, reason: 'interrupted', facts };
  const { vm } = pipeline;
  facts.push([
    'VM',
    `${vm.name} (${vm.accel}), ${VM_SPEC.diskMiB} MiB qcow2 on ${vm.diskMode === 'loop' ? `${VM_SPEC.backingMiB} MiB loop device ${vm.loop}` : 'a file'}, guest writing ${VM_SPEC.rateMiBps} MiB/s`,
  ]);
  await viewer.start();
  session.onClose('view', () => viewer.stop());
  const operator = new OperatorShell(operatorConfig(vm), { note: (t) => viewer.note(t) });
  session.onClose('operator', () => operator.stop());
  const link = vm.libvirtSocket
    ? libvirtLink({ name: vm.name, loop: vm.loop, backingFile: vm.backingFile ?? '', socket: vm.libvirtSocket })
    : socketLink(vm.qmpOperator, vm.name);
  await operator.start(link);
  viewer.note(`watching ${vm.name}: the guest starts writing ${VM_SPEC.rateMiBps} MiB/s in ${VM_SPEC.delaySeconds} s`);
  const reason = await Promise.race([operator.finished, stopRun]);
  if (session.signal.aborted) return { viewer, interrupted: true, reason, facts };
  viewer.note(`ending (${reason}): stopping the agent, letting the processor catch up`);
  await session.close('operator');
  await session.close('agent');
  const caughtUp = await waitCaughtUp(ctx.kafka, names.group, names.raw, 30_000, session.signal);
  if (!caughtUp) ctx.say('the processor did not catch up within 30 s; results may miss the last records');
  await waitRollupsStored(ctx, 30_000, session.signal);
  await viewer.drain();
  await session.close('processor');
  await session.close('view');
  await session.close('test VM');
  return { viewer, interrupted: session.signal.aborted, reason, facts };
}
