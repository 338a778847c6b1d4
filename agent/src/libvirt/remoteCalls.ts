/**
 * The REMOTE_PROGRAM calls this client makes. Wire shapes from src/remote/remote_protocol.x:
 *
 *   struct remote_connect_open_args { remote_string name; unsigned int flags; };   // CONNECT_OPEN = 1
 *   (CONNECT_CLOSE = 2 has no args and no ret)
 *   struct remote_auth_list_ret { remote_auth_type types<REMOTE_AUTH_TYPE_LIST_MAX>; };  // AUTH_LIST = 66
 *   struct remote_auth_polkit_ret { int complete; };                               // AUTH_POLKIT = 70
 *   struct remote_connect_supports_feature_args { int feature; };                  // = 60
 *   struct remote_connect_supports_feature_ret { int supported; };
 *   struct remote_connect_list_all_domains_args { int need_results; unsigned int flags; };  // = 273
 *   struct remote_connect_list_all_domains_ret {
 *       remote_nonnull_domain domains<REMOTE_DOMAIN_LIST_MAX>; unsigned int ret; };
 *   struct remote_domain_lookup_by_name_args { remote_nonnull_string name; };      // = 23
 *   struct remote_domain_lookup_by_name_ret { remote_nonnull_domain dom; };
 *   struct remote_domain_lookup_by_uuid_args { remote_uuid uuid; };                // = 24
 *   struct remote_domain_lookup_by_uuid_ret { remote_nonnull_domain dom; };
 *   struct remote_domain_get_xml_desc_args { remote_nonnull_domain dom; unsigned int flags; };  // = 14
 *   struct remote_domain_get_xml_desc_ret { remote_nonnull_string xml; };
 *   struct remote_domain_get_state_args { remote_nonnull_domain dom; unsigned int flags; };     // = 212
 *   struct remote_domain_get_state_ret { int state; int reason; };
 *   struct remote_domain_get_info_args { remote_nonnull_domain dom; };            // = 16
 *   struct remote_domain_get_info_ret {
 *       unsigned char state; unsigned hyper maxMem; unsigned hyper memory;
 *       unsigned short nrVirtCpu; unsigned hyper cpuTime; };
 *   struct remote_connect_get_all_domain_stats_args {                             // = 344
 *       remote_nonnull_domain doms<REMOTE_DOMAIN_LIST_MAX>; unsigned int stats; unsigned int flags; };
 *   struct remote_connect_get_all_domain_stats_ret {
 *       remote_domain_stats_record retStats<REMOTE_DOMAIN_LIST_MAX>; };
 *   struct remote_domain_get_block_job_info_args { remote_nonnull_domain dom; remote_nonnull_string path; unsigned int flags; };  // = 238
 *   struct remote_domain_get_block_job_info_ret { int found; int type; unsigned hyper bandwidth; unsigned hyper cur; unsigned hyper end; };
 * rpcgen encodes `unsigned char` and `unsigned short` as a 4-byte unsigned int.
 */
import {
  REMOTE_AUTH_TYPE_LIST_MAX,
  REMOTE_DOMAIN_LIST_MAX,
  REMOTE_PROGRAM,
  REMOTE_PROTOCOL_VERSION,
  REMOTE_STRING_MAX,
  RemoteProc,
  VIR_UUID_BUFLEN,
} from './constants.js';
import { DOMAIN_MIN_BYTES, readDomain, readString, uuidToBytes, writeDomain, type DomainRef } from './domainRef.js';
import { noArgs, noRet, procedure, type ArgsWriter, type Procedure, type RetReader } from './procedure.js';
import { readStatsRecord, STATS_RECORD_MIN_BYTES, type DomainStatsRecord } from './typedParams.js';

const remote = <A, R>(name: string, proc: number, write: ArgsWriter<A>, read: RetReader<R>): Procedure<A, R> =>
  procedure(name, REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, proc, write, read);

export const connectOpen = remote<{ name: string | null; flags: number }, void>(
  'CONNECT_OPEN',
  RemoteProc.CONNECT_OPEN,
  (w, a) => w.optional(a.name, (w2, s) => w2.string(s, REMOTE_STRING_MAX)).uint(a.flags),
  noRet,
);

export const connectClose = remote<void, void>('CONNECT_CLOSE', RemoteProc.CONNECT_CLOSE, noArgs, noRet);

export const authList = remote<void, number[]>('AUTH_LIST', RemoteProc.AUTH_LIST, noArgs, (r) => r.array(REMOTE_AUTH_TYPE_LIST_MAX, 4, (x) => x.int()));

export const authPolkit = remote<void, boolean>('AUTH_POLKIT', RemoteProc.AUTH_POLKIT, noArgs, (r) => r.int() !== 0);

export const connectSupportsFeature = remote<number, boolean>(
  'CONNECT_SUPPORTS_FEATURE',
  RemoteProc.CONNECT_SUPPORTS_FEATURE,
  (w, feature) => w.int(feature),
  (r) => r.int() !== 0,
);

export const connectListAllDomains = remote<number, DomainRef[]>(
  'CONNECT_LIST_ALL_DOMAINS',
  RemoteProc.CONNECT_LIST_ALL_DOMAINS,
  (w, flags) => w.int(1).uint(flags),
  (r) => {
    const domains = r.array(REMOTE_DOMAIN_LIST_MAX, DOMAIN_MIN_BYTES, readDomain);
    r.uint(); // ret: the count, equal to domains.length
    return domains;
  },
);

export const domainLookupByName = remote<string, DomainRef>(
  'DOMAIN_LOOKUP_BY_NAME',
  RemoteProc.DOMAIN_LOOKUP_BY_NAME,
  (w, name) => w.string(name, REMOTE_STRING_MAX),
  readDomain,
);

export const domainLookupByUuid = remote<string, DomainRef>(
  'DOMAIN_LOOKUP_BY_UUID',
  RemoteProc.DOMAIN_LOOKUP_BY_UUID,
  (w, uuid) => w.fixedOpaque(uuidToBytes(uuid), VIR_UUID_BUFLEN),
  readDomain,
);

export const domainGetXmlDesc = remote<{ dom: DomainRef; flags: number }, string>(
  'DOMAIN_GET_XML_DESC',
  RemoteProc.DOMAIN_GET_XML_DESC,
  (w, a) => {
    writeDomain(w, a.dom);
    w.uint(a.flags);
  },
  readString,
);

export interface DomainStateReply {
  /** virDomainState (constants.ts DomainState). */
  state: number;
  /** The state's reason enum, e.g. virDomainPausedReason 5 = IOERROR. */
  reason: number;
}

export const domainGetState = remote<DomainRef, DomainStateReply>(
  'DOMAIN_GET_STATE',
  RemoteProc.DOMAIN_GET_STATE,
  (w, dom) => {
    writeDomain(w, dom);
    w.uint(0);
  },
  (r) => ({ state: r.int(), reason: r.int() }),
);

export interface DomainInfo {
  state: number;
  maxMemKiB: bigint;
  memoryKiB: bigint;
  vcpus: number;
  cpuTimeNs: bigint;
}

export const domainGetInfo = remote<DomainRef, DomainInfo>('DOMAIN_GET_INFO', RemoteProc.DOMAIN_GET_INFO, writeDomain, (r) => ({
  state: r.uint(),
  maxMemKiB: r.uhyper(),
  memoryKiB: r.uhyper(),
  vcpus: r.uint(),
  cpuTimeNs: r.uhyper(),
}));

export interface AllDomainStatsArgs {
  /** Empty = every domain matching `flags`. */
  doms: DomainRef[];
  /** StatsGroup bits. */
  stats: number;
  /** StatsFlag bits. */
  flags: number;
}

export const connectGetAllDomainStats = remote<AllDomainStatsArgs, DomainStatsRecord[]>(
  'CONNECT_GET_ALL_DOMAIN_STATS',
  RemoteProc.CONNECT_GET_ALL_DOMAIN_STATS,
  (w, a) => w.array(a.doms, REMOTE_DOMAIN_LIST_MAX, writeDomain).uint(a.stats).uint(a.flags),
  (r) => r.array(REMOTE_DOMAIN_LIST_MAX, STATS_RECORD_MIN_BYTES, readStatsRecord),
);

/** A disk's block job (virDomainGetBlockJobInfo); `found` false when none runs. `type`: virDomainBlockJobType (3 commit, 4 active commit). */
export interface BlockJobInfo {
  found: boolean;
  type: number;
  bandwidth: bigint;
  cur: bigint;
  end: bigint;
}

export const domainGetBlockJobInfo = remote<{ dom: DomainRef; path: string }, BlockJobInfo>(
  'DOMAIN_GET_BLOCK_JOB_INFO',
  RemoteProc.DOMAIN_GET_BLOCK_JOB_INFO,
  (w, a) => {
    writeDomain(w, a.dom);
    w.string(a.path, REMOTE_STRING_MAX).uint(0);
  },
  (r) => ({ found: r.int() === 1, type: r.int(), bandwidth: r.uhyper(), cur: r.uhyper(), end: r.uhyper() }),
);
