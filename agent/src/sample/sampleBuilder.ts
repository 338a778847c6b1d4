/**
 * The pure sample building behind the poller's `SampleBuilder` seam
 * (agent/src/sample/seam.ts): replaces its stand-in.
 *
 * - connect: VmIdentity from the greeting and the connect replies (query-uuid,
 *   query-name, query-cpus-fast) and a fresh builder state holding the
 *   query-stats-schemas reply. A connection is a new instance (the instance id hashes
 *   the connect time), so nothing of the previous state is kept: slow-group data,
 *   the schema snapshot and the published hashes all start over.
 * - build: `buildSample` (buildSample.ts).
 * - event: `toQmpEvent` (events.ts) on the client's parsed event.
 */
import type { QmpEvent } from '#schemas/types.js';
import type { ConnectInfo, SampleBuilder } from './seam.js';
import type { QmpEventMessage } from '../qmp/messages.js';
import { buildSample, initialBuilderState, withStatsSchemas, type BuilderState } from './buildSample.js';
import { toQmpEvent } from './events.js';
import { toVmIdentity } from './identity.js';

function connect(info: ConnectInfo): ReturnType<SampleBuilder<BuilderState>['connect']> {
  const identity = toVmIdentity({
    host: info.host,
    connectTime: info.connectedAt,
    version: { qemu: info.greeting.version },
    uuid: info.uuid,
    name: info.name,
    cpus: info.cpus,
    fallbackName: info.socketName,
  });
  const fresh = initialBuilderState();
  const state = info.statsSchemas === undefined ? fresh : withStatsSchemas(fresh, info.statsSchemas).state;
  return { identity, state };
}

function event(msg: QmpEventMessage): QmpEvent {
  return toQmpEvent({ event: msg.event, data: msg.data, timestamp: msg.timestamp }) ?? { event: msg.event, qemuTimeUs: 0, data: '{}' };
}

export const sampleBuilder: SampleBuilder<BuilderState> = { connect, build: buildSample, event };
