/**
 * Public surface of the pure sample building (Tick → Sample, events, identity,
 * stats encoding). The processor needs only the stats decoding part:
 * `indexSnapshot` once per StatsSchemaSnapshot, then `decodeStats` per StatsResult.
 */
export type { Tick, TickCommand, TickError, HostObservations } from './tick.js';
export { buildSample, initialBuilderState, withStatsSchemas, MALFORMED, type BuilderState, type BuildResult, type SlowGroup } from './buildSample.js';
export { sampleBuilder } from './sampleBuilder.js';
export { toQmpEvent, isEventMessage } from './events.js';
export { toVmIdentity, instanceIdOf, qemuVersionOf, vcpuThreadIds, type IdentityInput } from './identity.js';
export { toBlockDevices, qdevId, matchBlockInfo, type BlockContext } from './blockDevices.js';
export { walkChain, isFilterNode, FILTER_DRIVERS, type ChainContext } from './chain.js';
export { toBlockCounters, zeroCounters, COUNTER_FIELDS } from './counters.js';
export { toBlockJobs } from './jobs.js';
export { parseNamedNodes, parseBlockInfo, parseNodeWatermarks, type NamedNode, type BlockInfo, type ImageInfo } from './nodes.js';
export { encodeStats, encodeStatsResult, decodeStats, type DecodedStat, type StatsReply } from './stats.js';
export {
  toStatsSchemaSnapshot,
  indexSnapshot,
  findStatList,
  schemasHash,
  canonicalJson,
  isHistogramType,
  type StatsIndex,
  type StatList,
} from './statsSchema.js';
