/**
 * StatsPoller: one domain in the `stats` mode, through libvirt's supported API only (no
 * QMP passthrough, so libvirt never marks the domain tainted). Every fast interval:
 * virConnectGetAllDomainStats for this domain (state, block with backing, vcpu, interface,
 * vm) and virDomainGetBlockJobInfo for each disk, mapped by statsSample.ts; libvirt's domain
 * events mapped by statsEvents.ts. Records go to the sink in order, with one `seq` per VM.
 *
 * Identity: the instance id is the QEMU process's (pid file, start time, boot id), so an
 * agent restart or a libvirtd restart keeps it and a QEMU restart changes it. libvirt's
 * stats carry no QEMU version: it is left empty.
 */
import { hostname } from 'node:os';
import { describeError } from '#common/errors.js';
import { silentLogger, type Logger } from '#common/log.js';
import type { BlockDevice, BlockJob, RawBody, VmIdentity } from '#schemas/types.js';
import type { PollerOptions, PollerState } from '../poller/options.js';
import type { RecordSink } from '../poller/sink.js';
import type { VmTarget } from '../poller/vmTarget.js';
import type { AgentTelemetry } from '../telemetry.js';
import { StatsFlag, StatsGroup } from './constants.js';
import type { DomainRef } from './domainRef.js';
import { parseDomainXml, type DomainXmlInfo } from './domainXml.js';
import type { LibvirtHost } from './host.js';
import { qemuInstanceId } from './qemuPid.js';
import { toQmpEvent } from './statsEvents.js';
import { statsToSample, type ImageFacts } from './statsSample.js';

const GROUPS = StatsGroup.STATE | StatsGroup.BLOCK | StatsGroup.VCPU | StatsGroup.INTERFACE | StatsGroup.VM;

/** The facts statsSample.ts needs of each image, from the domain XML. */
export function imageFacts(xml: DomainXmlInfo): Record<string, ImageFacts> {
  const out: Record<string, ImageFacts> = {};
  for (const d of xml.disks) {
    d.chain.forEach((img, depth) => {
      const facts = { format: img.format ?? 'unknown', blockDevice: img.type === 'block' };
      if (img.index !== null) out[`${d.target}[${img.index}]`] = facts;
      if (depth === 0) out[d.target] = facts;
    });
  }
  return out;
}

export interface StatsPollerDeps {
  sink: RecordSink;
  telemetry: AgentTelemetry;
  logger?: Logger;
  now?: () => number;
}

export class StatsPoller {
  state: PollerState = 'connecting';
  identity: VmIdentity | undefined;
  private seq = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private images: Record<string, ImageFacts> = {};
  private devices: BlockDevice[] = [];
  private chainKey = '';
  private snapshotHash = '';
  private missed = 0;
  private offEvents: (() => void) | undefined;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(
    readonly target: VmTarget,
    private readonly host: LibvirtHost,
    private readonly dom: DomainRef,
    private readonly opts: Pick<PollerOptions, 'host' | 'fastIntervalMs' | 'staleAfterMissedTicks'>,
    private readonly deps: StatsPollerDeps,
  ) {
    this.log = (deps.logger ?? silentLogger).child({ vm: target.label, libvirt: target.id });
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.offEvents ??= this.host.onDomainEvent((ev) => {
      if (ev.domain.uuid !== this.dom.uuid || !this.identity) return;
      const body = toQmpEvent(ev, { devices: this.devices, targets: this.target.deviceNames ?? {} }, this.now() * 1000);
      if (body) this.publish({ kind: 'QmpEvent', value: body }, this.now());
    });
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.offEvents?.();
    this.wake?.();
    await this.loop;
    this.state = 'stopped';
  }

  notice(uuid: string, kind: string, message: string, count: number): boolean {
    if (this.identity?.uuid !== uuid) return false;
    this.publish({ kind: 'AgentNotice', value: { kind, message, count } }, this.now());
    return true;
  }

  private async run(): Promise<void> {
    let at = this.now();
    while (!this.stopped) {
      try {
        if (!this.identity) await this.identify();
        await this.tick();
        this.missed = 0;
        if (this.state !== 'up') this.state = 'up';
      } catch (err) {
        this.missed++;
        this.deps.telemetry.ticksMissed.inc({ vm: this.target.label });
        if (this.missed === this.opts.staleAfterMissedTicks) {
          this.log.warn('libvirt stats not answering', { error: describeError(err) });
          this.publish({ kind: 'AgentNotice', value: { kind: 'stale', message: describeError(err), count: 0 } }, this.now());
          this.state = 'stale';
        }
      }
      at += this.opts.fastIntervalMs;
      if (at < this.now()) at = this.now();
      await this.sleep(at - this.now());
    }
  }

  private async identify(): Promise<void> {
    const instanceId = await qemuInstanceId(this.dom.name);
    this.identity = {
      host: this.opts.host ?? hostname(),
      uuid: this.dom.uuid,
      name: this.dom.name,
      instanceId: instanceId ?? `libvirt:${this.dom.uuid}`,
      qemuVersion: '',
    };
    const t = this.now();
    this.publish({ kind: 'AgentNotice', value: { kind: 'connected', message: `libvirt stats of ${this.dom.name} (${this.target.id})`, count: 0 } }, t);
    const message = "libvirt's bulk stats (stats mode) carry no histograms and no units: histogram series are absent and KVM stats are in raw units";
    this.publish({ kind: 'AgentNotice', value: { kind: 'degraded', message, count: 0 } }, t);
  }

  private async tick(): Promise<void> {
    const client = this.host.client;
    if (!client) throw new Error('libvirt is not connected');
    const [rec] = await client.getAllDomainStats([this.dom], GROUPS, StatsFlag.BACKING);
    if (!rec) throw new Error(`no stats for domain ${this.dom.name}`);
    const t = this.now();
    let { sample, snapshot } = statsToSample(rec.params, this.images);
    const key = sample.blockDevices.map((d) => `${d.dev}:${d.chain.map((e) => e.filename).join(',')}`).join(';');
    if (key !== this.chainKey) {
      // New disks or a new chain (snapshot, commit pivot): what each image is comes from the XML.
      this.images = imageFacts(parseDomainXml(await client.getXmlDesc(this.dom)));
      this.chainKey = key;
      ({ sample, snapshot } = statsToSample(rec.params, this.images));
    }
    sample.jobs = await this.jobs(sample.blockDevices);
    this.devices = sample.blockDevices;
    if (snapshot && snapshot.hash !== this.snapshotHash) {
      this.snapshotHash = snapshot.hash;
      this.publish({ kind: 'StatsSchemaSnapshot', value: snapshot }, t);
    }
    this.publish({ kind: 'Sample', value: sample }, t);
    this.deps.telemetry.polls.inc({ vm: this.target.label });
  }

  private async jobs(devices: readonly BlockDevice[]): Promise<BlockJob[]> {
    const client = this.host.client;
    if (!client) return [];
    const infos = await Promise.all(devices.map((d) => client.getBlockJobInfo(this.dom, d.dev).then((j) => ({ d, j }))));
    return infos
      .filter(({ j }) => j.found)
      .map(({ d, j }) => ({
        id: d.dev,
        type: j.type === 3 || j.type === 4 ? 'commit' : j.type === 2 ? 'mirror' : 'stream',
        status: 'running',
        len: Number(j.end),
        offset: Number(j.cur),
        ioStatus: null,
        ready: false,
        paused: false,
      }));
  }

  private publish(body: RawBody, t: number): void {
    if (!this.identity || this.stopped) return;
    this.deps.sink.publish(this.identity.uuid, { vm: this.identity, seq: this.seq++, t, body });
    this.deps.telemetry.recordsQueued.inc({ kind: body.kind });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
