/**
 * One live sample from a QMP socket, for `qmpipe domstats --socket`: the agent's
 * own poller (read-only allowlist) and sample building with default sampling
 * settings, stopped after the first sample that refreshed the slow group.
 */
import { QmpipeError } from '#common/errors.js';
import { sysfsReader } from '#agent/host/sysfs.js';
import { pollerOptions, type PollerOptions } from '#agent/poller/options.js';
import { VmPoller } from '#agent/poller/vmPoller.js';
import { unixTarget, type VmTarget } from '#agent/poller/vmTarget.js';
import { sampleBuilder } from '#agent/sample/sampleBuilder.js';
import { createTelemetry } from '#agent/telemetry.js';
import { AgentConfig } from '#schemas/config/agent.js';
import type { Sample } from '#schemas/types.js';

/** The agent's defaults: a one-shot sample polls exactly as `qmpipe agent` would. */
function options(): PollerOptions {
  return pollerOptions(AgentConfig.parse({ kafka: { brokers: ['127.0.0.1:9'] } }));
}

/** The first slow-refreshed sample of a VM's socket (`socket`) or of a target (a libvirt domain). */
export async function liveSample(where: string | VmTarget, timeoutMs = 10_000): Promise<{ vm: string; sample: Sample }> {
  const target = typeof where === 'string' ? unixTarget(where) : where;
  let done: (v: { vm: string; sample: Sample }) => void = () => {};
  const first = new Promise<{ vm: string; sample: Sample }>((resolve) => (done = resolve));
  const sink = {
    publish: (_key: string, rec: { vm: { name: string }; body: { kind: string; value: unknown } }) => {
      if (rec.body.kind === 'Sample' && (rec.body.value as Sample).slowRefresh) done({ vm: rec.vm.name, sample: rec.body.value as Sample });
    },
  };
  const poller = new VmPoller(target, options(), { builder: sampleBuilder, sink, hostReader: sysfsReader(), telemetry: createTelemetry() });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new QmpipeError(
            'DOMSTATS_TIMEOUT',
            `no sample from ${target.id} within ${timeoutMs / 1000} s (${target.open ? 'is the domain running?' : 'is it a QMP socket nobody else holds?'})`,
          ),
        ),
      timeoutMs,
    );
  });
  poller.start();
  try {
    return await Promise.race([first, timeout]);
  } finally {
    clearTimeout(timer);
    await poller.stop();
  }
}
