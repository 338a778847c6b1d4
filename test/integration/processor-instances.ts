/**
 * `qmpipe processor` instances as child processes that can be killed with SIGKILL, each
 * with its own client id (to find its member in the group) and /metrics port (to see what
 * it has done: transactions committed, S3 failures), and the group's assignment.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import kafkajs from 'kafkajs';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { kafkaClient } from './helpers/index.js';
import { type Scenario, sleep } from './processor-support.js';

const root = join(import.meta.dirname, '..', '..');

export interface ProcessorInstance {
  name: string;
  clientId: string;
  metricsPort: number;
  child: ChildProcess;
  /** The last stderr chunks, for failures. */
  logs: string[];
  /** All of its stderr. */
  logFile: string;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * `qmpipe processor --config FILE [--role ROLE]` with the scenario's config (and `cfg`'s
 * sections over it), this instance's client id and a /metrics port.
 */
export async function spawnProcessor(
  sc: Scenario,
  name: string,
  opts: { role?: 'stream' | 'rollup-writer'; cfg?: Partial<Scenario['cfg']> } = {},
): Promise<ProcessorInstance> {
  const metricsPort = await freePort();
  const clientId = `${sc.id}-${name}`;
  const configFile = join(dirname(sc.configFile), `${name}.json`);
  const logFile = join(dirname(sc.configFile), `${name}.log`);
  const log = { level: process.env.QMPIPE_IT_PROCESSOR_LOG_LEVEL ?? sc.cfg.log?.level ?? 'warn' };
  writeFileSync(
    configFile,
    JSON.stringify({ ...sc.cfg, ...opts.cfg, kafka: { ...sc.cfg.kafka, ...opts.cfg?.kafka, clientId }, metrics: { listen: `127.0.0.1:${metricsPort}` }, log }),
  );
  const role = opts.role ? ['--role', opts.role] : [];
  const child = spawn(process.execPath, [join(root, 'bin', 'qmpipe.mjs'), 'processor', '--config', configFile, ...role], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // A bounded heap: a regression that allocates without bound fails the test instead of the machine.
    env: { ...process.env, NODE_NO_WARNINGS: '1', NODE_OPTIONS: '--max-old-space-size=512' },
  });
  const logs: string[] = [];
  child.stderr!.on('data', (d: Buffer) => {
    appendFileSync(logFile, d);
    logs.push(d.toString());
    if (logs.length > 200) logs.shift();
  });
  return { name, clientId, metricsPort, child, logs, logFile };
}

export function exited(p: ProcessorInstance): Promise<number | null> {
  const c = p.child;
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve(c.exitCode) : new Promise((r) => c.once('exit', (code) => r(code)));
}

/**
 * The sum of a metric's series whose labels include `labels`, from the instance's
 * /metrics; 0 while it does not answer yet (starting).
 */
export async function metric(p: ProcessorInstance, name: string, labels: Record<string, string> = {}): Promise<number> {
  let text: string;
  try {
    text = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
  } catch {
    return 0;
  }
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (wanted.every((w) => (m[2] ?? '').includes(w))) sum += Number(m[3]);
  }
  return sum;
}

/**
 * Polls `probe` every 100 ms until it is true; throws `what` after `timeoutMs`, or as soon
 * as the instance `of` exits, with the end of its log.
 */
export async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 90_000, of?: ProcessorInstance): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    const gone = of && (of.child.exitCode !== null || of.child.signalCode !== null);
    if (gone || Date.now() > deadline) {
      const why = gone ? `${of.name} exited (${of.child.exitCode ?? of.child.signalCode})` : `not within ${timeoutMs} ms`;
      throw new Error(`${what}: ${why}${of ? `; log ${of.logFile}:\n${of.logs.join('').slice(-3000)}` : ''}`);
    }
    await sleep(100);
  }
}

/** The group's members by client id with their raw-topic partitions, once the group is stable (else null). */
export async function assignment(sc: Scenario): Promise<Map<string, number[]> | null> {
  const cfg = loadProcessorRuntimeConfig({ raw: sc.cfg });
  const admin = kafkaClient('it-members').admin();
  await admin.connect();
  try {
    const g = (await admin.describeGroups([cfg.kafka.groupId])).groups[0];
    if (g?.state !== 'Stable') return null;
    const out = new Map<string, number[]>();
    for (const m of g.members) {
      const a = kafkajs.AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      out.set(m.clientId, [...(out.get(m.clientId) ?? []), ...(a?.assignment[sc.raw] ?? [])]);
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}
