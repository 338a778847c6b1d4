/**
 * The `stats` mode's source of the poll loop (poller/source.ts): one domain through
 * libvirt's supported API only (no QMP passthrough, so libvirt never marks the domain
 * tainted). A tick: virConnectGetAllDomainStats for this domain (state, block with backing,
 * vcpu, interface, vm; balloon on the slow grid; cpu-total only where procfs cannot be read,
 * below) and virDomainGetBlockJobInfo
 * for the disks that may have a job, mapped by statsSample.ts; libvirt's domain events
 * mapped by statsEvents.ts.
 *
 * CPU times from procfs where the agent can read the QEMU process (its pid from libvirt's
 * pid file, host/procfs.ts: utime and stime of /proc/<pid>/stat, as on the QMP sources);
 * libvirt's cpu-total group costs libvirtd about 0.14-0.24 ms a domain a call at 50 domains
 * (cgroup reads plus the halt-polling times it reports; `npm run bench -- libvirt-groups`). A
 * domain whose process cannot be read asks for the group instead (`extra` of the batch).
 * `vcpu.N.time` comes from the vcpu group either way.
 *
 * Memory on the slow grid, as on the QMP sources (tickPlan.ts): libvirt's balloon group
 * costs libvirtd two monitor commands per domain (query-balloon and the qom-get of the
 * guest's figures), which the guest's driver refreshes every few seconds at most. The last
 * figures read are carried on the ticks between; rss comes with every tick's procfs reading
 * where there is one (libvirt reads the same field in that group).
 *
 * Block jobs: libvirt announces a job's end (BLOCK_JOB_2 completed, failed, cancelled) and
 * a mirror's readiness, but not its start. virDomainGetBlockJobInfo is asked for every disk
 * on the slow grid (the first tick of a connection is on it) and, on every tick, for the
 * disks where a job was found or announced ready, until it is found gone or announced
 * ended (`JobWatch`). A job that starts is therefore reported up to `slowIntervalMs` (10 s
 * by default) plus one tick after it started; its end is seen at the next tick.
 *
 * A connection is the host's libvirt connection (LibvirtHost) as it was at connect: when
 * it ends (libvirtd restarted), so does this one, and the loop reconnects with backoff.
 * Connect reads the domain XML (what each image is: statsSample.ts needs it; it also
 * proves the domain answers) and identifies the domain.
 *
 * Identity: the instance id is the QEMU process's (pid file, start time, boot id), so an
 * agent restart or a libvirtd restart keeps it and a QEMU restart changes it. libvirt's
 * stats carry no QEMU version: it is left empty.
 *
 * `readStats` is the one call per tick: per domain here; the agent passes the host-wide
 * batch (statsBatch.ts: one call for every domain of a tick). A record libvirt filled
 * without QEMU's monitor (`isIncomplete`) is a missed tick of this domain.
 */
import { hostname } from 'node:os';
import { QmpipeError } from '#common/errors.js';
import type { BlockDevice, BlockJob, CpuTimes } from '#schemas/types.js';
import { cpuOf } from '../sample/process.js';
import type { ProcessStats, QemuThreads } from '../sample/tick.js';
import type { FailureClass, SourceConnection, SourceHooks, SourceTick, VmSource } from '../poller/source.js';
import type { VmTarget } from '../poller/vmTarget.js';
import type { LibvirtClient } from './client.js';
import { StatsFlag, StatsGroup } from './constants.js';
import type { DomainRef } from './domainRef.js';
import { parseDomainXml, type DomainXmlInfo } from './domainXml.js';
import { isDomainGone, LibvirtConnectError, LibvirtDisconnectedError } from './errors.js';
import type { DomainEvent } from './events.js';
import { JobWatch } from './jobWatch.js';
import { isIncomplete } from './statsBatch.js';
import { qemuInstanceId, readQemuPid } from './qemuPid.js';
import { toQmpEvent } from './statsEvents.js';
import { statsToSample, type ImageFacts } from './statsSample.js';
import type { DomainStatsRecord } from './typedParams.js';

/** Every tick; SLOW_GROUPS are added on the slow grid, CPU_GROUPS for a domain whose process the agent cannot read. */
const GROUPS = StatsGroup.STATE | StatsGroup.BLOCK | StatsGroup.VCPU | StatsGroup.INTERFACE | StatsGroup.VM;
const SLOW_GROUPS = StatsGroup.BALLOON;
const CPU_GROUPS = StatsGroup.CPU_TOTAL;
const DEGRADED = "libvirt's bulk stats (stats mode) carry no histograms and no units: histogram series are absent and KVM stats are in raw units";

/** What the source needs of a libvirt connection. */
export type StatsClient = Pick<LibvirtClient, 'getAllDomainStats' | 'getXmlDesc' | 'getBlockJobInfo' | 'onClose'>;

/** What the source needs of the host's libvirt connection (LibvirtHost). */
export interface StatsHost {
  readonly client: StatsClient | null;
  onDomainEvent(listener: (ev: DomainEvent) => void): () => void;
}

/** One domain's stats record of this tick (with the slow groups on a slow tick, and `extra`); undefined when libvirt returned none. */
export type ReadStats = (client: StatsClient, dom: DomainRef, slow: boolean, extra: number) => Promise<DomainStatsRecord | undefined>;

/** What a stats-mode tick asks libvirt for: every tick, and in addition on the slow grid (the host-wide batch asks the same). */
export const STATS_GROUPS = GROUPS;
export const STATS_SLOW_GROUPS = SLOW_GROUPS;
export const STATS_FLAGS = StatsFlag.BACKING;

export const readDomainStats: ReadStats = async (client, dom, slow, extra) =>
  (await client.getAllDomainStats([dom], (slow ? GROUPS | SLOW_GROUPS : GROUPS) | extra, STATS_FLAGS))[0];

export interface StatsSourceDeps {
  now?: () => number;
  readStats?: ReadStats;
  /** The QEMU pid of a domain (qemuPid.ts by default); null when not found here. */
  qemuPid?: (name: string) => Promise<number | null>;
  /** A procfs reading of a process (HostReader.processStats); undefined when it cannot be read. */
  processStats?: (threads: QemuThreads) => ProcessStats | undefined;
}

/** The facts statsSample.ts needs of each image, from the domain XML. */
export function imageFacts(xml: DomainXmlInfo): Record<string, ImageFacts> {
  const out: Record<string, ImageFacts> = Object.create(null);
  for (const d of xml.disks) {
    d.chain.forEach((img, depth) => {
      const facts = { format: img.format ?? 'unknown', blockDevice: img.type === 'block' };
      if (img.index !== null) out[`${d.target}[${img.index}]`] = facts;
      if (depth === 0) out[d.target] = facts;
    });
  }
  return out;
}

/** libvirt's vCPU times with the process's CPU times from procfs (sample/process.ts); the totals unknown (null) when procfs gave none. */
export function withProcessTimes(fromStats: CpuTimes | null, p: ProcessStats | undefined): CpuTimes | null {
  const own = cpuOf(p);
  const vcpus = fromStats?.vcpus ?? [];
  if (!own) return fromStats === null ? null : { ...fromStats, timeUs: null, userUs: null, systemUs: null };
  return { ...own, vcpus };
}

export class StatsSource implements VmSource {
  readonly via = 'libvirt stats';
  private images: Record<string, ImageFacts> = Object.create(null);
  /** The disks and chains the images were read for; null until the first tick after a connect. */
  private chainKey: string | null = null;
  /** The disks of the last sample, to resolve events against. */
  private devices: BlockDevice[] = [];
  private readonly now: () => number;
  private readonly readStats: ReadStats;
  /** Which disks may have a block job running. */
  private readonly jobWatch = new JobWatch();
  /** The QEMU process whose CPU times procfs gives, or null: then libvirt's cpu-total group. */
  private pid: number | null = null;
  private readonly qemuPid: (name: string) => Promise<number | null>;
  private readonly processStats: ((threads: QemuThreads) => ProcessStats | undefined) | undefined;
  /** The memory figures of the last slow tick of this connection, carried on the ticks between. */
  private memory: SourceTick['sample']['memory'] = null;

  constructor(
    private readonly target: VmTarget,
    private readonly host: StatsHost,
    private readonly dom: DomainRef,
    private readonly opts: { host?: string | undefined },
    deps: StatsSourceDeps = {},
  ) {
    this.now = deps.now ?? Date.now;
    this.readStats = deps.readStats ?? readDomainStats;
    this.qemuPid = deps.qemuPid ?? readQemuPid;
    this.processStats = deps.processStats;
  }

  classify(err: unknown): FailureClass {
    if (err instanceof LibvirtDisconnectedError || isDomainGone(err)) return { errorClass: 'disconnected', disconnected: true };
    if (err instanceof QmpipeError && err.code.startsWith('LIBVIRT_'))
      return { errorClass: err.code.slice('LIBVIRT_'.length).toLowerCase(), disconnected: false };
    return { errorClass: 'other', disconnected: false };
  }

  async connect(hooks: SourceHooks): Promise<SourceConnection> {
    const client = this.host.client;
    if (!client) throw new LibvirtConnectError(`libvirt is not connected; domain ${this.dom.name} unreachable`);
    let closed = false;
    const unsubscribe: Array<() => void> = [];
    const end = (): void => {
      closed = true;
      for (const u of unsubscribe.splice(0)) u();
    };
    unsubscribe.push(
      client.onClose(() => {
        end();
        hooks.onClose();
      }),
      this.host.onDomainEvent((ev) => {
        if (ev.domain.uuid !== this.dom.uuid) return;
        if (ev.kind === 'blockJob2') this.jobWatch.announced(ev.dst, ev.status);
        const body = toQmpEvent(ev, { devices: this.devices, targets: this.target.deviceNames ?? {} }, this.now() * 1000);
        if (body) hooks.onEvent(body);
      }),
    );
    try {
      this.images = imageFacts(parseDomainXml(await client.getXmlDesc(this.dom)));
      this.chainKey = null;
      this.jobWatch.reset();
      this.memory = null;
      const pid = this.processStats ? await this.qemuPid(this.dom.name) : null;
      this.pid = pid !== null && this.processStats?.({ pid, vcpus: [] }) ? pid : null;
      const instanceId = await qemuInstanceId(this.dom.name);
      const { uuid, name } = this.dom;
      const identity = { host: this.opts.host ?? hostname(), uuid, name, instanceId: instanceId ?? `libvirt:${uuid}`, qemuVersion: '' };
      return {
        opened: { identity, at: this.now(), connected: `libvirt stats of ${name} (${this.target.id})`, degraded: [DEGRADED] },
        get closed() {
          return closed;
        },
        read: (slow) => this.read(client, slow),
        close: async () => end(),
      };
    } catch (err) {
      end();
      throw err;
    }
  }

  private async read(client: StatsClient, slow: boolean): Promise<SourceTick> {
    if (this.host.client !== client) throw new LibvirtDisconnectedError('the libvirt connection was replaced');
    const rec = await this.readStats(client, this.dom, slow, this.pid === null ? CPU_GROUPS : 0);
    if (!rec) throw new Error(`no stats for domain ${this.dom.name}`);
    if (isIncomplete(rec.params)) throw new Error(`stats of domain ${this.dom.name} incomplete: libvirt did not reach its QEMU (the domain is busy)`);
    const t = this.now();
    let { sample, snapshot } = statsToSample(rec.params, this.images);
    const key = sample.blockDevices.map((d) => `${d.dev}:${d.chain.map((e) => e.filename).join(',')}`).join(';');
    if (this.chainKey !== null && key !== this.chainKey) {
      // New disks or a new chain (snapshot, commit pivot): what each image is comes from the XML.
      this.images = imageFacts(parseDomainXml(await client.getXmlDesc(this.dom)));
      ({ sample, snapshot } = statsToSample(rec.params, this.images));
    }
    this.chainKey = key; // the first tick after a connect: the XML read at connect stands
    if (slow) this.memory = sample.memory;
    else sample.memory = this.memory;
    if (this.pid !== null) {
      const proc = this.processStats?.({ pid: this.pid, vcpus: [] });
      sample.cpu = withProcessTimes(sample.cpu, proc);
      if (sample.memory && proc?.rssKb != null) sample.memory = { ...sample.memory, rssBytes: proc.rssKb * 1024 };
    }
    sample.jobs = await this.jobs(
      client,
      this.jobWatch.disks(
        sample.blockDevices.map((d) => d.dev),
        slow,
      ),
    );
    this.devices = sample.blockDevices;
    return { t, sample, snapshot };
  }

  private async jobs(client: StatsClient, disks: readonly string[]): Promise<BlockJob[]> {
    if (disks.length === 0) return [];
    const infos = await Promise.all(disks.map((d) => client.getBlockJobInfo(this.dom, d).then((j) => ({ d, j }))));
    for (const { d, j } of infos) this.jobWatch.found(d, j.found);
    return infos
      .filter(({ j }) => j.found)
      .map(({ d, j }) => ({
        id: d,
        type: j.type === 3 || j.type === 4 ? 'commit' : j.type === 2 ? 'mirror' : 'stream',
        status: 'running',
        len: Number(j.end),
        offset: Number(j.cur),
        ioStatus: null,
        ready: false,
        paused: false,
      }));
  }
}
