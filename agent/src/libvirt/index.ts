/** Public surface of the libvirt RPC client (see README.md beside this file). */
export { DEFAULT_SOCKET, DEFAULT_URI, LibvirtClient, type LibvirtClientOptions, type Subscription } from './client.js';
export {
  DomainEventId,
  DomainState,
  LifecycleEvent,
  ListDomainsFlag,
  QemuMonitorEventFlag,
  StatsFlag,
  StatsGroup,
} from './constants.js';
export type { DomainRef } from './domainRef.js';
export { parseDomainXml, type DiskInfo, type DomainXmlInfo, type ImageInfo, type InterfaceInfo } from './domainXml.js';
export {
  LibvirtConnectError,
  LibvirtDisconnectedError,
  LibvirtProtocolError,
  LibvirtRemoteError,
  LibvirtTimeoutError,
  type LibvirtError,
  type ProtocolViolation,
  type RemoteErrorInfo,
} from './errors.js';
export type { DomainEvent } from './events.js';
export type { MonitorEventFilter, QemuMonitorEvent } from './qemuCalls.js';
export { readQemuPid } from './qemuPid.js';
export type { DomainInfo, DomainStateReply } from './remoteCalls.js';
export { formatParamValue, paramMap, type DomainStatsRecord, type TypedParam, type TypedParamValue } from './typedParams.js';
export { XmlError } from './xmlTree.js';
