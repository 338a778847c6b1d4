/**
 * Which VMs to watch on a libvirt host: every running domain (or the configured names),
 * found by listing them when the connection comes up, on every lifecycle event (a domain
 * started, stopped, migrated in or out) and on a timer as a safety net. Each domain's
 * disk and interface names come from its live XML: disks by target (`vda`) through their
 * qdev alias, interfaces by target (`vnet3`). `targetsOf` is pure; the class is the shell.
 */
import { describeError } from '#common/errors.js';
import { silentLogger, type Logger } from '#common/log.js';
import type { DiscoveryCallbacks } from '../discovery/discovery.js';
import type { OpenSession } from '../qmp/session.js';
import type { VmTarget } from '../poller/vmTarget.js';
import type { DomainRef } from './domainRef.js';
import { parseDomainXml, type DomainXmlInfo } from './domainXml.js';
import { LibvirtConnectError } from './errors.js';
import type { LibvirtHost } from './host.js';

export interface LibvirtDiscoveryOptions {
  uri: string;
  /** 'all', or the names of the domains to watch. */
  domains: 'all' | readonly string[];
  rescanIntervalMs: number;
  logger?: Logger;
}

/** The target of one domain (pure): names from its XML, the session opener given. */
export function targetOf(uri: string, dom: DomainRef, xml: DomainXmlInfo, open: OpenSession): VmTarget {
  const deviceNames: Record<string, string> = {};
  for (const d of xml.disks) if (d.alias) deviceNames[d.alias] = d.target;
  const net = xml.interfaces.flatMap((i) => (i.target ? [i.target] : []));
  return { id: `libvirt:${dom.uuid}`, transport: { kind: 'libvirt', uri, domain: dom.name }, label: dom.name, net, open, deviceNames };
}

/** Whether a domain is one to watch. */
export function watched(domains: LibvirtDiscoveryOptions['domains'], name: string): boolean {
  return domains === 'all' || domains.includes(name);
}

export class LibvirtDiscovery {
  private readonly known = new Map<string, VmTarget>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> = Promise.resolve();
  private again = false;
  private stopped = false;
  private readonly off: Array<() => void> = [];
  private readonly log: Logger;

  constructor(
    private readonly host: LibvirtHost,
    private readonly opts: LibvirtDiscoveryOptions,
    private readonly cb: DiscoveryCallbacks,
    private readonly opener: (dom: DomainRef) => OpenSession,
  ) {
    this.log = (opts.logger ?? silentLogger).child({ libvirt: opts.uri });
  }

  start(): void {
    this.off.push(this.host.onUp(() => this.scan()));
    this.off.push(this.host.onDomainEvent((ev) => (ev.kind === 'lifecycle' ? this.scan() : undefined)));
    this.timer = setInterval(() => this.scan(), this.opts.rescanIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const f of this.off.splice(0)) f();
  }

  /** Scans once (a scan asked for while one runs runs again after it). */
  scan(): Promise<void> {
    if (this.stopped) return this.scanning;
    this.again = true;
    this.scanning = this.scanning.then(async () => {
      while (this.again && !this.stopped) {
        this.again = false;
        await this.scanOnce().catch((err: unknown) => this.log.warn('listing libvirt domains failed', { error: describeError(err) }));
      }
    });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    const client = this.host.client;
    if (!client) return; // down: the targets stay, their sessions fail and reconnect; the next onUp rescans
    const doms = (await client.listAllDomains()).filter((d) => watched(this.opts.domains, d.name));
    const ids = new Set(doms.map((d) => `libvirt:${d.uuid}`));
    for (const id of [...this.known.keys()]) {
      if (ids.has(id)) continue;
      this.known.delete(id);
      this.cb.removed(id);
    }
    for (const dom of doms) {
      const id = `libvirt:${dom.uuid}`;
      if (this.known.has(id) || this.stopped) continue;
      const xml = parseDomainXml(await client.getXmlDesc(dom));
      const t = targetOf(this.opts.uri, dom, xml, this.opener(dom));
      this.known.set(id, t);
      this.cb.added(t);
    }
  }
}

/**
 * One named domain as a target, for the one-shot tools (`qmpipe domstats|record --libvirt`):
 * connects a LibvirtHost, looks the domain up and reads its XML. Stop the host when done.
 */
export async function domainTarget(
  host: LibvirtHost,
  uri: string,
  name: string,
  opener: (dom: DomainRef) => OpenSession,
  timeoutMs = 10_000,
): Promise<VmTarget> {
  const deadline = Date.now() + timeoutMs;
  while (!host.client && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const client = host.client;
  if (!client) throw new LibvirtConnectError(`no connection to libvirt (${uri}) within ${timeoutMs / 1000} s`);
  const dom = await client.lookupDomainByName(name);
  return targetOf(uri, dom, parseDomainXml(await client.getXmlDesc(dom)), opener(dom));
}
