/**
 * One virConnectGetAllDomainStats per tick for every domain of a host (the `stats` mode),
 * as `virsh domstats` and the exporters do, instead of one call per domain. Each domain
 * keeps its own poll loop (poller/pollLoop.ts); the loops of a host tick on the same
 * wall-clock grid (tickPlan.ts nextSlot), so the first read of a tick fetches the records
 * of every domain read lately, and the other loops of that tick take theirs from the same
 * reply. A bulk call costs libvirtd about what a per-domain call costs for one domain,
 * plus each domain's own queries; the agent decodes one reply instead of N.
 *
 * A slow tick (the loops' slow grid, also wall-clock) asks for `slowGroups` as well; the
 * loops of a host agree on which ticks are slow, so those batches carry them for all. A
 * domain may need groups of its own every tick (`extra`: cpu-total where the agent cannot
 * read its QEMU's procfs); a batch asks for every member's.
 *
 * Rules (each domain gets each record at most once, and never one older than half a tick):
 * - the batch of a tick serves a domain when it started less than `intervalMs / 2` ago,
 *   holds the domain, has not served it yet, and asked for the slow groups and the
 *   domain's extra groups if this read needs them (else the domain is read alone, as below);
 * - otherwise a read starts a new batch, of every domain read in the last
 *   `forgetAfterTicks` ticks and this one, unless a fresh batch is under way without the
 *   domain (a domain just connected, off the grid): then it reads that domain alone.
 *
 * The call asks libvirt not to wait for a domain busy with another job
 * (VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT): a domain whose QEMU hangs holds its job,
 * and without the flag every later bulk call of the host would wait for it (30 s, libvirt's
 * job time-out). Such a domain's record comes back without what needs QEMU's monitor;
 * statsSource.ts counts that as a missed tick of that domain only (`isIncomplete`).
 */
import type { DomainRef } from './domainRef.js';
import type { StatsClient } from './statsSource.js';
import type { DomainStatsRecord, TypedParam } from './typedParams.js';

export interface StatsBatchOptions {
  /** The poll loops' fast interval. */
  intervalMs: number;
  /** StatsGroup bits of every tick. */
  groups: number;
  /** StatsGroup bits added on slow ticks (default none). */
  slowGroups?: number;
  /** StatsFlag bits (NOWAIT is added). */
  flags: number;
  /** A domain not read for this many ticks is left out of the next batch. */
  forgetAfterTicks?: number;
  /** Monotonic ms (tests). */
  now?: () => number;
  /** Counts each bulk call and how many domains it asked for (metrics, tests). */
  onCall?: (domains: number) => void;
}

interface Batch {
  id: number;
  client: StatsClient;
  started: number;
  slow: boolean;
  /** The members' extra groups this batch asked for. */
  extra: number;
  uuids: ReadonlySet<string>;
  reply: Promise<ReadonlyMap<string, DomainStatsRecord>>;
}

interface Member {
  dom: DomainRef;
  /** Groups this domain needs beside the tick's (e.g. cpu-total where procfs cannot be read). */
  extra: number;
  lastRead: number;
  /** The last batch that served this domain. */
  servedBy: number;
}

/** VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT (libvirt-domain.h). */
const NOWAIT = 0x20000000;

export class StatsBatch {
  private readonly members = new Map<string, Member>();
  private current: Batch | undefined;
  private nextId = 1;
  private readonly now: () => number;

  constructor(private readonly opts: StatsBatchOptions) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** This tick's record of `dom` (ReadStats of statsSource.ts); undefined when libvirt returned none. */
  readonly read = async (client: StatsClient, dom: DomainRef, slow = false, extra = 0): Promise<DomainStatsRecord | undefined> => {
    const now = this.now();
    let m = this.members.get(dom.uuid);
    if (!m) this.members.set(dom.uuid, (m = { dom, extra, lastRead: now, servedBy: 0 }));
    m.dom = dom;
    m.extra = extra;
    m.lastRead = now;
    const b = this.current;
    const fresh = b !== undefined && b.client === client && now - b.started < this.opts.intervalMs / 2;
    if (fresh && b.uuids.has(dom.uuid) && m.servedBy !== b.id && (b.slow || !slow) && (b.extra & extra) === extra) {
      m.servedBy = b.id;
      return (await b.reply).get(dom.uuid);
    }
    if (fresh) return (await this.fetch(client, [dom], slow, extra)).get(dom.uuid); // under way without it (or its groups): alone
    const batch = this.start(client, now, slow);
    m.servedBy = batch.id;
    return (await batch.reply).get(dom.uuid);
  };

  private start(client: StatsClient, now: number, slow: boolean): Batch {
    const forget = (this.opts.forgetAfterTicks ?? 3) * this.opts.intervalMs;
    for (const [uuid, m] of this.members) if (now - m.lastRead > forget) this.members.delete(uuid);
    const doms = [...this.members.values()].map((m) => m.dom);
    let extra = 0;
    for (const m of this.members.values()) extra |= m.extra;
    const batch: Batch = {
      id: this.nextId++,
      client,
      started: now,
      slow,
      extra,
      uuids: new Set(this.members.keys()),
      reply: this.fetch(client, doms, slow, extra),
    };
    batch.reply.catch(() => {}); // each reader gets the rejection; none unhandled when no one waits
    this.current = batch;
    return batch;
  }

  private async fetch(client: StatsClient, doms: DomainRef[], slow: boolean, extra: number): Promise<ReadonlyMap<string, DomainStatsRecord>> {
    this.opts.onCall?.(doms.length);
    const groups = (slow ? this.opts.groups | (this.opts.slowGroups ?? 0) : this.opts.groups) | extra;
    const records = await client.getAllDomainStats(doms, groups, this.opts.flags | NOWAIT);
    return new Map(records.map((r) => [r.domain.uuid, r]));
  }
}

/** A disk's I/O counters (`block.0.rd.reqs`, `.wr.bytes`, `.fl.times`): libvirt has them only from QEMU's monitor. */
const IO_COUNTER = /^block\.\d+\.(rd|wr|fl)\./;

/**
 * A record libvirt filled without QEMU's monitor (the domain's job was busy: NOWAIT): it
 * has disks but none of their I/O counters. Pure. Mapped, it would read as counters reset.
 */
export function isIncomplete(params: readonly TypedParam[]): boolean {
  let disks = 0;
  for (const { field, value } of params) {
    if (IO_COUNTER.test(field)) return false;
    if (field === 'block.count' && value.type !== 'string') disks = Number(value.value);
  }
  return disks > 0;
}
