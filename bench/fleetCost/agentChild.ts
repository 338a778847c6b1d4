/**
 * `qmpipe agent` as deployed, as a child process of the bench: a generated config (the
 * real broker, the default cadence 1 s / 10 s, the default compression unless told,
 * /metrics on, here on a free port), NODE_OPTIONS=--max-semi-space-size=4 as in
 * infra/deploy/systemd/qmpipe-agent.service, log level info. Polls are counted from its
 * own /metrics, read only at the edges of a measured window.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '#common/paths.js';
import { sleep } from './procfs.js';

/** NODE_OPTIONS of infra/deploy/systemd/qmpipe-agent.service and the DaemonSet. */
export const DEPLOYED_NODE_OPTIONS = '--max-semi-space-size=4';

export interface AgentChildOptions {
  brokers: string[];
  sockets: readonly string[];
  rawTopic: string;
  schemaTopic: string;
  /** Unset: the config's default (gzip). */
  compression?: 'gzip' | 'none';
  /** Node flags before the script, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** NODE_OPTIONS of the agent; unset: DEPLOYED_NODE_OPTIONS. */
  nodeOptions?: string;
  /** Poll these libvirt domains through libvirtd instead of sockets (the agent's libvirt modes). */
  libvirt?: { mode: 'qmp' | 'stats'; domains: readonly string[] };
  /** Where the config file goes. */
  dir: string;
  name: string;
  /** The checkout whose bin/qmpipe.mjs runs (built); unset: this one. */
  root?: string | undefined;
}

export interface AgentCounters {
  polls: number;
  missed: number;
  published: number;
  publishErrors: number;
}

/** Sum of every series of one metric in a Prometheus text page. */
export function metricSum(page: string, metric: string): number {
  let sum = 0;
  for (const line of page.split('\n')) {
    if (!line.startsWith(metric) || (line[metric.length] !== '{' && line[metric.length] !== ' ')) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export class AgentChild {
  metricsPort = 0;
  private readonly lines: string[] = [];
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    child.once('exit', () => (this.exited = true));
    let buf = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        this.onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Starts the agent and waits until /metrics answers and the Kafka producer is ready. */
  static async start(o: AgentChildOptions, timeoutMs = 60_000): Promise<AgentChild> {
    const cfg = {
      vms: { sockets: o.sockets.map((path) => ({ path })) },
      ...(o.libvirt ? { libvirt: { mode: o.libvirt.mode, domains: o.libvirt.domains } } : {}),
      kafka: {
        brokers: o.brokers,
        rawTopic: o.rawTopic,
        schemaTopic: o.schemaTopic,
        createTopics: 'on',
        replicationFactor: 1,
        ...(o.compression ? { compression: o.compression } : {}),
      },
      metrics: { listen: '127.0.0.1:0' },
    };
    const file = join(o.dir, `${o.name}.agent.json`);
    writeFileSync(file, JSON.stringify(cfg, null, 2));
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: o.nodeOptions ?? DEPLOYED_NODE_OPTIONS };
    for (const k of Object.keys(env)) if (k.startsWith('QMPIPE_') || k.startsWith('KAFKA_')) delete env[k]; // the config alone decides
    const child = spawn(process.execPath, [...(o.nodeArgs ?? []), join(o.root ?? packageRoot(), 'bin', 'qmpipe.mjs'), 'agent', '--config', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    });
    const a = new AgentChild(child);
    const deadline = Date.now() + timeoutMs;
    while (!(a.metricsPort > 0 && a.lines.some((l) => l.includes('"Kafka producer ready"')))) {
      if (a.exited) throw new Error(`benchmark: agent exited during start-up:\n${a.tail()}`);
      if (Date.now() > deadline) throw new Error(`benchmark: agent not ready after ${timeoutMs} ms:\n${a.tail()}`);
      await sleep(100);
    }
    return a;
  }

  private onLine(line: string): void {
    this.lines.push(line);
    if (this.lines.length > 200) this.lines.splice(0, 100);
    const m = /"msg":"agent started".*"metrics":"[^"]*:(\d+)"/.exec(line);
    if (m) this.metricsPort = Number(m[1]);
    if (/"level":"(warn|error)"/.test(line) && !/coordinator is loading/.test(line)) process.stderr.write(`# agent: ${line}\n`);
  }

  tail(n = 20): string {
    return this.lines.slice(-n).join('\n');
  }

  async counters(): Promise<AgentCounters> {
    const page = await (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
    return {
      polls: metricSum(page, 'qmpipe_agent_polls_total'),
      missed: metricSum(page, 'qmpipe_agent_ticks_missed_total'),
      published: metricSum(page, 'qmpipe_agent_records_published_total'),
      publishErrors: metricSum(page, 'qmpipe_agent_publish_errors_total'),
    };
  }

  /** Waits until the agent has made `n` polls in all. */
  async waitPolls(n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.counters()).polls < n) {
      if (this.exited) throw new Error(`benchmark: agent exited:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`benchmark: agent made fewer than ${n} polls in ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(250);
    }
  }

  /** SIGTERM (the agent drains and exits), SIGKILL after 20 s. */
  stop(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }

  /** For the bench's SIGINT handler: no waiting. */
  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
