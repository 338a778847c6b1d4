/**
 * The pure sample building behind the poller's `SampleBuilder` seam
 * (agent/src/sample/seam.ts): replaces its stand-in.
 *
 * - connect: VmIdentity from the greeting, the connect replies (query-uuid,
 *   query-name, query-cpus-fast) and the QEMU process read on the host (identity.ts:
 *   a reconnect to the same process keeps the instance id), and a fresh builder state
 *   holding the query-stats-schemas reply and the RAM size (query-memory-size-summary). Nothing of the previous connection's state
 *   is kept even for the same process: the first tick re-reads the slow group, and
 *   re-publishing a schema snapshot is harmless.
 * - build: `buildSample` (buildSample.ts).
 * - event: `toQmpEvent` (events.ts) on the client's parsed event.
 */
import type { QmpEvent } from '#schemas/types.js';
import type { ConnectInfo, SampleBuilder } from './seam.js';
import type { QmpEventMessage } from '../qmp/messages.js';
import { buildSample, initialBuilderState, withMemorySize, withStatsSchemas, type BuilderState } from './buildSample.js';
import { toQmpEvent } from './events.js';
import { toVmIdentity } from './identity.js';

function connect(info: ConnectInfo): ReturnType<SampleBuilder<BuilderState>['connect']> {
  const identity = toVmIdentity({
    host: info.host,
    connectTime: info.connectedAt,
    process: info.process,
    version: { qemu: info.greeting.version },
    uuid: info.uuid,
    name: info.name,
    cpus: info.cpus,
    fallbackName: info.socketName,
  });
  const fresh = withMemorySize(initialBuilderState(), info.memorySize);
  const state = info.statsSchemas === undefined ? fresh : withStatsSchemas(fresh, info.statsSchemas).state;
  return { identity, state };
}

function event(msg: QmpEventMessage): QmpEvent {
  return toQmpEvent({ event: msg.event, data: msg.data, timestamp: msg.timestamp }) ?? { event: msg.event, qemuTimeUs: 0, data: '{}' };
}

export const sampleBuilder: SampleBuilder<BuilderState> = { connect, build: buildSample, event };
