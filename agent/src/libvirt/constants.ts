/**
 * Numbers of libvirt's wire protocol used by this client, each from the file named beside it
 * in libvirt's repository (https://gitlab.com/libvirt/libvirt, mirrored as libvirt/libvirt):
 *   src/rpc/virnetprotocol.x          message header, types, status, size limits
 *   src/rpc/virkeepaliveprotocol.x    KEEPALIVE_PROGRAM, PING/PONG
 *   src/remote/remote_protocol.x      REMOTE_PROGRAM, enum remote_procedure, REMOTE_*_MAX
 *   src/remote/qemu_protocol.x        QEMU_PROGRAM, enum qemu_procedure
 *   include/libvirt/libvirt-domain.h  flags and enums passed as ints (stats groups, event ids)
 * libvirt never renumbers procedures, so these hold for every daemon that has them.
 */

/** virnetprotocol.x: VIR_NET_MESSAGE_MAX (header + payload, not counting the length word). */
export const MESSAGE_MAX = 33_554_432;
/** virnetprotocol.x: VIR_NET_MESSAGE_LEN_MAX, the length word (which counts itself). */
export const LEN_WORD_BYTES = 4;
/** virnetprotocol.x: VIR_NET_MESSAGE_HEADER_MAX, six 4-byte words. */
export const HEADER_BYTES = 24;
/** virnetprotocol.x: VIR_NET_MESSAGE_STRING_MAX (virNetMessageNonnullString). */
export const NET_STRING_MAX = 4_194_304;

/** enum virNetMessageType */
export const MessageType = { CALL: 0, REPLY: 1, MESSAGE: 2, STREAM: 3, CALL_WITH_FDS: 4, REPLY_WITH_FDS: 5 } as const;
/** enum virNetMessageStatus */
export const MessageStatus = { OK: 0, ERROR: 1, CONTINUE: 2 } as const;

export const REMOTE_PROGRAM = 0x20008086;
export const REMOTE_PROTOCOL_VERSION = 1;
export const QEMU_PROGRAM = 0x20008087;
export const QEMU_PROTOCOL_VERSION = 1;
/** virkeepaliveprotocol.x: "keep". */
export const KEEPALIVE_PROGRAM = 0x6b656570;
export const KEEPALIVE_PROTOCOL_VERSION = 1;
export const KeepaliveProc = { PING: 1, PONG: 2 } as const;

/** enum remote_procedure (remote_protocol.x), only the ones used here. */
export const RemoteProc = {
  CONNECT_OPEN: 1,
  CONNECT_CLOSE: 2,
  DOMAIN_GET_XML_DESC: 14,
  DOMAIN_GET_INFO: 16,
  DOMAIN_LOOKUP_BY_NAME: 23,
  DOMAIN_LOOKUP_BY_UUID: 24,
  CONNECT_SUPPORTS_FEATURE: 60,
  AUTH_LIST: 66,
  AUTH_POLKIT: 70,
  DOMAIN_GET_STATE: 212,
  DOMAIN_GET_BLOCK_JOB_INFO: 238,
  CONNECT_LIST_ALL_DOMAINS: 273,
  CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: 316,
  CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY: 317,
  DOMAIN_EVENT_CALLBACK_LIFECYCLE: 318,
  DOMAIN_EVENT_CALLBACK_IO_ERROR_REASON: 324,
  DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED: 333,
  DOMAIN_EVENT_BLOCK_JOB_2: 339,
  CONNECT_GET_ALL_DOMAIN_STATS: 344,
  DOMAIN_EVENT_BLOCK_THRESHOLD: 385,
} as const;

/** enum qemu_procedure (qemu_protocol.x). */
export const QemuProc = {
  DOMAIN_MONITOR_COMMAND: 1,
  CONNECT_DOMAIN_MONITOR_EVENT_REGISTER: 4,
  CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER: 5,
  DOMAIN_MONITOR_EVENT: 6,
} as const;

/** remote_protocol.x limits (values of libvirt 9.x; older daemons use smaller ones). */
export const REMOTE_STRING_MAX = 4_194_304;
export const REMOTE_DOMAIN_LIST_MAX = 16_384;
export const REMOTE_CONNECT_GET_ALL_DOMAIN_STATS_MAX = 262_144;
export const REMOTE_AUTH_TYPE_LIST_MAX = 20;
export const VIR_UUID_BUFLEN = 16;

/** enum remote_auth_type */
export const AuthType = { NONE: 0, SASL: 1, POLKIT: 2 } as const;

/** libvirt-host.h: virConnectFlags, the CONNECT_OPEN flags. RO: a read-only connection (no call that changes anything). */
export const ConnectFlag = { RO: 1 } as const;

/** src/libvirt_internal.h: virDrvFeature values asked with CONNECT_SUPPORTS_FEATURE. */
export const DrvFeature = { TYPED_PARAM_STRING: 9, PROGRAM_KEEPALIVE: 10 } as const;

/** libvirt-domain.h: virConnectListAllDomainsFlags */
export const ListDomainsFlag = { ACTIVE: 1, INACTIVE: 2, PERSISTENT: 4, TRANSIENT: 8, RUNNING: 16, PAUSED: 32 } as const;

/** libvirt-domain.h: virDomainStatsTypes (VM exists since libvirt 8.9: QEMU's query-stats). */
export const StatsGroup = {
  STATE: 1,
  CPU_TOTAL: 2,
  BALLOON: 4,
  VCPU: 8,
  INTERFACE: 16,
  BLOCK: 32,
  PERF: 64,
  IOTHREAD: 128,
  MEMORY: 256,
  DIRTYRATE: 512,
  VM: 1024,
} as const;

/** libvirt-domain.h: virConnectGetAllDomainStatsFlags */
export const StatsFlag = {
  ACTIVE: 1,
  INACTIVE: 2,
  PERSISTENT: 4,
  TRANSIENT: 8,
  RUNNING: 16,
  PAUSED: 32,
  SHUTOFF: 64,
  OTHER: 128,
  NOWAIT: 0x20000000,
  BACKING: 0x40000000,
  ENFORCE_STATS: 0x80000000,
} as const;

/** libvirt-domain.h: virDomainEventID, the events this client decodes. */
export const DomainEventId = {
  LIFECYCLE: 0,
  IO_ERROR_REASON: 6,
  DEVICE_REMOVED: 15,
  BLOCK_JOB_2: 16,
  BLOCK_THRESHOLD: 24,
} as const;
export type DomainEventIdValue = (typeof DomainEventId)[keyof typeof DomainEventId];

/** libvirt-domain.h: virDomainState */
export const DomainState = { NOSTATE: 0, RUNNING: 1, BLOCKED: 2, PAUSED: 3, SHUTDOWN: 4, SHUTOFF: 5, CRASHED: 6, PMSUSPENDED: 7 } as const;

/** libvirt-domain.h: virDomainEventType (lifecycle `event`). */
export const LifecycleEvent = {
  DEFINED: 0,
  UNDEFINED: 1,
  STARTED: 2,
  SUSPENDED: 3,
  RESUMED: 4,
  STOPPED: 5,
  SHUTDOWN: 6,
  PMSUSPENDED: 7,
  CRASHED: 8,
} as const;

/** include/libvirt/libvirt-qemu.h: virConnectDomainQemuMonitorEventRegisterFlags */
export const QemuMonitorEventFlag = { REGEX: 1, NOCASE: 2 } as const;
