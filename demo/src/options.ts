/**
 * `qmpipe demo` options and everything derived from them, pure: argv → DemoOptions,
 * stack env (KAFKA_BROKERS, S3_*) → StackEnv, run id → names of topics, bucket, VM,
 * and the agent's and processor's configs (validated by their own zod schemas).
 */
import { z } from 'zod';
import { parseConfig } from '#common/config.js';
import { ConfigError } from '#common/errors.js';
import { AgentConfig } from '#schemas/config/agent.js';
import { ProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { parseCommandArgs } from '#common/command.js';

export const help = `Usage: qmpipe demo [--replay FILE.jsonl] [--seconds N] [--speed X] [--no-view]

Runs the whole pipeline on the local stack (started by \`npm run demo\`, or
\`npx qmpipe stack up\`): a test VM fills a thin qcow2 on a loop device, the agent
polls it into Kafka, the processor computes rates and alerts and writes Parquet
rollups to S3, and a live view shows allocation, write rate, time-to-full and
alerts. The demo plays the operator: it grows the device when the guest pauses on
ENOSPC, then takes a live snapshot and commits it back into the base.
At the end it lists the Parquet objects, queries them with DuckDB and writes an
HTML report under .run/demo/<time>/.

  --replay FILE   no VM: produce a recorded QMP transcript's records instead
  --seconds N     stop after N seconds at the latest (default 300)
  --speed X       replay pace, X times the recorded pace; 0 = as fast as possible (default 1)
  --no-view       no live view; alert transitions and the summary are still printed
  --libvirt       the VM is a transient libvirt domain (libvirtd is started if needed); the
                  agent finds it through libvirtd and reads QEMU's monitor through libvirt,
                  and the operator uses virsh: nothing in the domain is changed for either

Connection details come from the environment (KAFKA_BROKERS, S3_ENDPOINT,
S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION) or from $QMPIPE_RUN_DIR/stack.env.
Ctrl-C stops what the demo started (VM, agent, processor) and nothing else.
`;

export const DemoArgs = z
  .object({
    replay: z.string().min(1).optional(),
    seconds: z.number().int().positive().default(300),
    speed: z.number().min(0).default(1),
    view: z.enum(['auto', 'off']).default('auto'),
    /** The VM is a libvirt domain the agent finds through libvirtd (no change to the domain). */
    libvirt: z.boolean().default(false),
  })
  .strict();
export type DemoArgs = z.infer<typeof DemoArgs>;

export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  const { values, positionals } = parseCommandArgs(argv, {
    'no-view': { type: 'boolean' },
    libvirt: { type: 'boolean' },
    replay: { type: 'string' },
    seconds: { type: 'string' },
    speed: { type: 'string' },
  });
  if (positionals.length > 0) throw new ConfigError(`unexpected argument '${positionals[0]}'`);
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  return parseConfig(
    DemoArgs,
    {
      replay: values.replay,
      seconds: num(values.seconds),
      speed: num(values.speed),
      view: values['no-view'] ? 'off' : 'auto',
      libvirt: values.libvirt === true,
    },
    'qmpipe demo',
  );
}

export const StackEnv = z
  .object({
    KAFKA_BROKERS: z.string().min(1),
    S3_ENDPOINT: z.string().url(),
    S3_ACCESS_KEY: z.string().min(1),
    S3_SECRET_KEY: z.string().min(1),
    S3_REGION: z.string().min(1).default('us-east-1'),
  })
  .loose();
export type StackEnv = z.infer<typeof StackEnv>;

/** KEY=VALUE lines (stack.env, vm.env) → record. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** The stack's connection details: the environment wins, then stack.env. */
export function stackEnv(env: NodeJS.ProcessEnv, fileText: string | null): StackEnv {
  const merged = { ...(fileText === null ? {} : parseEnvFile(fileText)), ...pick(env) };
  if (!merged.KAFKA_BROKERS)
    throw new ConfigError('the local stack is not running (no KAFKA_BROKERS, no stack.env): run `npm run demo`, or `npx qmpipe stack up` first');
  return parseConfig(StackEnv, merged, 'stack env');
}

function pick(env: NodeJS.ProcessEnv): Record<string, string> {
  const keys = ['KAFKA_BROKERS', 'S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_REGION'];
  return Object.fromEntries(keys.flatMap((k) => (env[k] ? [[k, env[k]!]] : [])));
}

/** Names of everything one demo run creates; unique per run, so runs never share state. */
export interface DemoNames {
  id: string;
  vm: string;
  raw: string;
  schemas: string;
  alerts: string;
  rates: string;
  dlq: string;
  checkpoints: string;
  /** Closed rollup windows, from the processor's transactions to the rollup writer. */
  rollups: string;
  group: string;
  writerGroup: string;
  bucket: string;
}

export function demoNames(id: string): DemoNames {
  const p = `qmpipe-demo-${id}`;
  return {
    id,
    vm: `demo-${id}`,
    raw: `${p}.raw`,
    schemas: `${p}.schemas`,
    alerts: `${p}.alerts`,
    rates: `${p}.rates`,
    dlq: `${p}.dlq`,
    checkpoints: `${p}.checkpoints`,
    rollups: `${p}.rollups`,
    group: `${p}-processor`,
    writerGroup: `${p}-rollup-writer`,
    bucket: p,
  };
}

/** "20261122-031600" in UTC, for the run directory. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export function brokers(s: StackEnv): string[] {
  return s.KAFKA_BROKERS.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

/** The agent polling one socket into the run's raw topic; no /metrics, memory spool. */
/** The agent's config: the VM's own QMP socket, or a libvirt domain by name (`qmp` mode through libvirtd's socket). */
export function agentConfig(n: DemoNames, s: StackEnv, vm: { socket: string } | { libvirtSocket: string; domain: string }): AgentConfig {
  return parseConfig(
    AgentConfig,
    {
      host: 'demo-host',
      ...('socket' in vm ? { vms: { sockets: [{ path: vm.socket }] } } : { libvirt: { socket: vm.libvirtSocket, mode: 'qmp', domains: [vm.domain] } }),
      qmp: { reconnect: { initialRetryTime: 200, maxRetryTime: 2_000 } },
      sampling: { fastIntervalMs: 1_000, slowIntervalMs: 1_000 },
      kafka: { brokers: brokers(s), clientId: `${n.vm}-agent`, rawTopic: n.raw, schemaTopic: n.schemas, createTopics: 'off', lingerMs: 20 },
      metrics: { listen: 'off' },
      drainTimeoutMs: 5_000,
    },
    'demo agent config',
  );
}

/** Key prefix of the demo's rollup objects. */
export const ROLLUP_PREFIX = 'rollups';

/**
 * The processor with rates published, 10 s and 1 min rollups and a short allowed
 * lateness, so rollup objects appear during a few-minute demo.
 */
export function processorConfig(n: DemoNames, s: StackEnv): ProcessorRuntimeConfig {
  return parseConfig(
    ProcessorRuntimeConfig,
    {
      kafka: {
        brokers: brokers(s),
        clientId: `${n.vm}-processor`,
        groupId: n.group,
        rawTopic: n.raw,
        schemaTopic: n.schemas,
        alertsTopic: n.alerts,
        ratesTopic: n.rates,
        deadLetterTopic: n.dlq,
        checkpointTopic: n.checkpoints,
        rollupsTopic: n.rollups,
        transactionalIdPrefix: `qmpipe-demo-${n.id}`,
        createTopics: 'on',
        replicationFactor: 1, // the local single-broker stack
        maxBatchMessages: 500,
        sessionTimeoutMs: 10_000,
      },
      s3: {
        bucket: n.bucket,
        prefix: ROLLUP_PREFIX,
        region: s.S3_REGION,
        endpoint: s.S3_ENDPOINT,
        forcePathStyle: true,
        accessKeyId: s.S3_ACCESS_KEY,
        secretAccessKey: s.S3_SECRET_KEY,
        createBucket: 'on',
      },
      rollups: { allowedLatenessMs: 1_000 },
      // Objects are written when their hour ends; the demo's run is shorter: a partition quiet for 15 s has its objects written.
      rollupWriter: { groupId: n.writerGroup, commitIntervalMs: 1_000, flushIdleMs: 15_000 },
      core: { rollup: { resolutionsMs: [10_000, 60_000] } },
      metrics: { listen: 'off' },
    },
    'demo processor config',
  );
}
