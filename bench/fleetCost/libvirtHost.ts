/**
 * The libvirt side of the fleet-cost bench, through the infra/ scripts: the machine's
 * libvirtd (infra/libvirt/start.sh, reused when already running), a group of paused KVM
 * domains with a second QMP monitor each (infra/libvirt/start-paused-domains.sh), and
 * Debian's prometheus-libvirt-exporter (infra/exporter/start.sh). Every call is
 * synchronous, so the bench's SIGINT handler can undo everything before it exits.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '#common/paths.js';

export interface Domain {
  name: string;
  uuid: string;
  pid: number;
  /** The second QMP monitor (qemu:commandline), for the agent. */
  qmpSocket: string;
}

function script(runDir: string, rel: string, args: string[] = []): string {
  const res = spawnSync('bash', [join(packageRoot(), 'infra', rel), ...args], {
    env: { ...process.env, QMPIPE_RUN_DIR: runDir },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 << 20,
  });
  if (res.status !== 0) throw new Error(`benchmark: infra/${rel} ${args.join(' ')} failed (exit ${res.status})`);
  return res.stdout;
}

function envOf(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** Starts (or reuses) libvirtd and virtlogd; returns libvirtd's pid. */
export function startLibvirt(runDir: string): number {
  return Number(envOf(script(runDir, 'libvirt/start.sh')).LIBVIRTD_PID);
}

/** Stops libvirtd/virtlogd only if start.sh started them and no domain is left. */
export function stopLibvirt(runDir: string): void {
  script(runDir, 'libvirt/stop.sh');
}

/** A group of paused domains that only grows, then is stopped as a whole. */
export class PausedDomains {
  readonly domains: Domain[] = [];
  private started = false;

  constructor(
    private readonly runDir: string,
    readonly group: string,
  ) {}

  /** Adds domains until there are `n`. */
  growTo(n: number): void {
    if (n <= this.domains.length) return;
    this.started = true;
    const out = script(this.runDir, 'libvirt/start-paused-domains.sh', [
      '--group',
      this.group,
      '--first',
      String(this.domains.length),
      '--count',
      String(n - this.domains.length),
    ]);
    for (const line of out.split('\n').filter((l) => l.includes('\t'))) {
      const [name, uuid, pid, qmpSocket] = line.split('\t') as [string, string, string, string];
      this.domains.push({ name, uuid, pid: Number(pid), qmpSocket });
    }
    if (this.domains.length !== n) throw new Error(`benchmark: ${this.domains.length} domains up, wanted ${n}`);
  }

  stop(): void {
    if (this.started) script(this.runDir, 'libvirt/stop-paused-domains.sh', [this.group]);
    this.started = false;
  }
}

export interface Exporter {
  url: string;
  pid: number;
}

export function startExporter(runDir: string): Exporter {
  const env = envOf(script(runDir, 'exporter/start.sh'));
  return { url: env.EXPORTER_URL!, pid: Number(env.EXPORTER_PID) };
}

export function stopExporter(runDir: string): void {
  script(runDir, 'exporter/stop.sh');
}

/** Accelerator of a running domain's QEMU, from its command line. */
export function domainAccel(d: Domain): string {
  return /-accel\0kvm/.test(readFileSync(`/proc/${d.pid}/cmdline`, 'utf8')) ? 'kvm' : 'tcg';
}
