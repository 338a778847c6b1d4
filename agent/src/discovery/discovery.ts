/**
 * Which VMs to watch: explicit sockets from config plus directory globs
 * (e.g. /run/qmp/*.sock) re-scanned every `rescanIntervalMs`. New sockets are
 * picked up, vanished ones dropped. `diffTargets` and `globToRegExp` are pure; the
 * `Discovery` shell only lists directories and calls back.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AgentConfig } from '#schemas/config/agent.js';
import { tcpTarget, unixTarget, type VmTarget } from '../poller/vmTarget.js';

/** `*` and `?` in the last path segment only. */
export function globToRegExp(pattern: string): RegExp {
  const esc = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${esc}$`);
}

export function diffTargets(current: ReadonlyMap<string, VmTarget>, found: readonly VmTarget[]): { added: VmTarget[]; removed: string[] } {
  const ids = new Set(found.map((t) => t.id));
  return {
    added: found.filter((t) => !current.has(t.id)),
    removed: [...current.keys()].filter((id) => !ids.has(id)),
  };
}

/** Lists the sockets matching one glob; a missing directory yields none. */
export function expandGlob(glob: string): string[] {
  const dir = dirname(glob);
  const re = globToRegExp(basename(glob));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n))
    .map((n) => join(dir, n))
    .filter((p) => {
      try {
        return statSync(p).isSocket();
      } catch {
        return false;
      }
    })
    .sort();
}

/** Every target the config names right now. */
export function scanTargets(vms: AgentConfig['vms']): VmTarget[] {
  const out = new Map<string, VmTarget>();
  for (const s of vms.sockets) {
    const t = s.tcp ? tcpTarget(s.tcp.host, s.tcp.port, s.net) : unixTarget(s.path!, s.net);
    out.set(t.id, t);
  }
  for (const g of vms.globs) {
    for (const p of expandGlob(g)) {
      if (out.has(p)) continue;
      const t = unixTarget(p);
      out.set(p, { ...t, net: vms.net[t.label] ?? [] });
    }
  }
  return [...out.values()];
}

export interface DiscoveryCallbacks {
  added(t: VmTarget): void;
  removed(id: string): void;
}

/** Re-scans on a timer. `stop()` cancels it. Callbacks are never called concurrently. */
export class Discovery {
  private readonly known = new Map<string, VmTarget>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly vms: AgentConfig['vms'],
    private readonly cb: DiscoveryCallbacks,
  ) {}

  /** Scans once now, then every rescanIntervalMs (only when there are globs). */
  start(): void {
    this.scan();
    if (this.vms.globs.length > 0) this.timer = setInterval(() => this.scan(), this.vms.rescanIntervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  scan(): void {
    const { added, removed } = diffTargets(this.known, scanTargets(this.vms));
    for (const id of removed) {
      this.known.delete(id);
      this.cb.removed(id);
    }
    for (const t of added) {
      this.known.set(t.id, t);
      this.cb.added(t);
    }
  }

  get size(): number {
    return this.known.size;
  }
}
