/**
 * The Kafka TLS and SASL options (`kafka.tls`, `kafka.sasl`) against the test broker's
 * secured listeners (infra/kafka/start.sh: SASL_SSL with SCRAM and PLAIN, SSL with
 * mutual TLS; a throwaway CA and random passwords per run). The agent samples a real
 * test VM (QEMU, TCG; the guest need not boot for QMP).
 *
 * - The agent publishes over SASL_SSL with SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN (the
 *   password only in QMPIPE_KAFKA_SASL_PASSWORD, never in the config file) and over
 *   mutual TLS; a plain consumer on the PLAINTEXT listener decodes the samples.
 * - A wrong password, and a CA that did not sign the broker's certificate: the agent keeps
 *   sampling into its spool, publishes nothing, logs why (an error naming the SASL or TLS
 *   failure), backs off, and on stop persists every record for the next start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '#schemas/config/agent.js';
import { startAgent, type AgentHandle } from '#agent/main.js';
import { unixTarget } from '#agent/poller/vmTarget.js';
import { Spool } from '#agent/spool/spool.js';
import { kafkaClientConfig } from '#common/kafka.js';
import { createLogger } from '#common/log.js';
import { decodeRaw } from '#schemas/codecs/raw.js';
import type { RawRecord } from '#schemas/types.js';
import { randomName, stack, startTestVm, type TestVm } from './helpers/index.js';
import { readRaw, sleep, waitFor } from './agent-support.js';

const sec = stack().kafkaSecurity;
const work = mkdtempSync(join(tmpdir(), 'it-kafka-sec-'));
let vm: TestVm;

beforeAll(async () => {
  vm = await startTestVm({ noBootWait: true, seconds: 0 });
});
afterAll(async () => {
  await vm?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface LogLine {
  level: string;
  msg: string;
  kafkajs?: string;
  error?: string;
}
interface Run {
  agent: AgentHandle;
  logs: LogLine[];
  file: string;
  rawTopic: string;
  spoolDir: string;
  stopped: boolean;
}

const running: Run[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) if (!r.stopped) await r.agent.stop().catch(() => undefined);
});

/**
 * Starts the agent from a config file (as `qmpipe agent --config` does) with `env` as its
 * environment; logs are collected. Samples the test VM every 200 ms.
 */
async function runAgent(kafka: Record<string, unknown>, env: NodeJS.ProcessEnv, over: { drainTimeoutMs?: number } = {}): Promise<Run> {
  const name = randomName('it-sec');
  const rawTopic = `${name}-raw`;
  const spoolDir = join(work, name, 'spool');
  const file = join(work, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      host: 'it-sec',
      vms: { sockets: [{ path: vm.qmpAgent }] },
      sampling: { fastIntervalMs: 200, slowIntervalMs: 1000 },
      kafka: {
        rawTopic,
        schemaTopic: `${name}-schemas`,
        createTopics: 'on',
        replicationFactor: 1,
        partitions: 1,
        lingerMs: 20,
        requestTimeoutMs: 5000,
        connectionTimeoutMs: 2000,
        ...kafka,
      },
      spool: { dir: spoolDir },
      metrics: { listen: 'off' },
      drainTimeoutMs: over.drainTimeoutMs ?? 5000,
    }),
  );
  const cfg = loadAgentConfig({ file: file, env: env });
  const logs: LogLine[] = [];
  const logger = createLogger({}, { level: 'debug', write: (l) => logs.push(JSON.parse(l) as LogLine) });
  const run: Run = { agent: await startAgent(cfg, { logger }), logs, file, rawTopic, spoolDir, stopped: false };
  running.push(run);
  return run;
}

async function stop(r: Run): Promise<void> {
  r.stopped = true;
  await r.agent.stop();
}

const queued = (r: Run): number =>
  ['Sample', 'QmpEvent', 'AgentNotice', 'StatsSchemaSnapshot'].reduce((n, k) => n + r.agent.telemetry.recordsQueued.value({ kind: k }), 0);
const samplesIn = (rs: RawRecord[]): number => rs.filter((x) => x.body.kind === 'Sample').length;

/** Waits for acknowledged records, stops the agent (drains), reads them back through the PLAINTEXT listener. */
async function expectPublished(r: Run): Promise<void> {
  await waitFor('records acknowledged by the broker', () => r.agent.telemetry.recordsPublished.value() >= 3, 20_000);
  await stop(r);
  const total = queued(r);
  const rs = await readRaw(r.rawTopic, (rs) => rs.length >= total, 20_000);
  expect(rs).toHaveLength(total);
  expect(rs.every((x) => x.vm.host === 'it-sec' && x.vm.name === vm.name)).toBe(true);
  expect(samplesIn(rs)).toBeGreaterThanOrEqual(2);
  expect(rs.map((x) => x.seq)).toEqual(rs.map((_, i) => i));
  expect(r.logs.filter((l) => l.msg === 'Kafka unavailable; records wait in the spool')).toEqual([]);
}

/** What stop() left in the spool dir for the next start, decoded. */
function persisted(r: Run): RawRecord[] {
  const s = new Spool({ memoryBytes: 1 << 20, dir: r.spoolDir, diskBytes: 1 << 30 });
  const out: RawRecord[] = [];
  for (let b = s.peek(1000, 1 << 30); b.length > 0; b = s.peek(1000, 1 << 30)) {
    out.push(...b.map((e) => decodeRaw(e.value)));
    s.commit();
  }
  return out;
}

/** The agent must be sampling (polls) but have nothing acknowledged, and keep every record for the next run. */
async function expectSpooledNotPublished(r: Run): Promise<void> {
  expect(r.agent.telemetry.polls.value({ vm: unixTarget(vm.qmpAgent).label })).toBeGreaterThanOrEqual(3);
  expect(r.agent.telemetry.recordsPublished.value()).toBe(0);
  await stop(r);
  const left = persisted(r);
  expect(left.length).toBe(queued(r));
  expect(samplesIn(left)).toBeGreaterThanOrEqual(3);
}

const saslCases = [
  { mechanism: 'scram-sha-512', user: () => sec.scram },
  { mechanism: 'scram-sha-256', user: () => sec.scram },
  { mechanism: 'plain', user: () => sec.plain },
] as const;

describe('agent → Kafka over TLS and SASL', () => {
  it.each(saslCases)('SASL_SSL with $mechanism; the password only from QMPIPE_KAFKA_SASL_PASSWORD', async ({ mechanism, user }) => {
    const { username, password } = user();
    const r = await runAgent(
      { brokers: sec.saslSslBrokers, tls: { caFile: sec.caFile }, sasl: { mechanism, username } },
      { QMPIPE_KAFKA_SASL_PASSWORD: password },
    );
    expect(readFileSync(r.file, 'utf8')).not.toContain(password);
    await expectPublished(r);
  });

  it('SSL with mutual TLS (caFile + certFile + keyFile); without a client certificate the listener refuses', async () => {
    const r = await runAgent({ brokers: sec.sslBrokers, tls: { caFile: sec.caFile, certFile: sec.certFile, keyFile: sec.keyFile } }, {});
    await expectPublished(r);
    // The pass above is not vacuous: the same listener rejects a client without a certificate.
    const conn = {
      clientId: 'it-sec-nocert',
      brokers: sec.sslBrokers,
      connectionTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      tls: { caFile: sec.caFile, rejectUnauthorized: true },
    };
    const admin = new kafkajs.Kafka({ ...kafkaClientConfig(conn), logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await expect(admin.connect().then(() => admin.listTopics())).rejects.toThrow(/certificate/);
    await admin.disconnect().catch(() => undefined);
  });

  it('wrong SCRAM password: keeps sampling into the spool, logs the authentication failure, backs off, persists on stop', async () => {
    const r = await runAgent(
      { brokers: sec.saslSslBrokers, tls: { caFile: sec.caFile }, sasl: { mechanism: 'scram-sha-512', username: sec.scram.username } },
      { QMPIPE_KAFKA_SASL_PASSWORD: 'not-the-password' },
    );
    const authFailed = (l: LogLine): boolean => /SASL SCRAM SHA512 authentication failed.*invalid credentials/.test(`${l.msg} ${l.error ?? ''}`);
    await waitFor(
      'a log line naming the authentication failure',
      () => r.logs.some((l) => l.msg === 'Kafka unavailable; records wait in the spool' && authFailed(l)),
      10_000,
    );
    await sleep(3000);
    // One authentication attempt per backoff step (300 ms, 600 ms, 1.2 s, 2.4 s ±20 %), not
    // one per sample (every 200 ms: the agent used to try again on every new record).
    const attempts = r.logs.filter((l) => l.level === 'error' && l.kafkajs === 'SaslAuthenticator-SCRAM-SHA-512').length;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(5);
    expect(r.logs.filter((l) => l.msg === 'Kafka unavailable; records wait in the spool')).toHaveLength(1);
    await expectSpooledNotPublished(r);
  });

  it('a CA that did not sign the broker certificate: a TLS verification error, nothing published, records persisted on stop', async () => {
    const other = join(work, 'other-ca');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        `${other}.key`,
        '-out',
        `${other}.pem`,
        '-days',
        '1',
        '-subj',
        '/CN=not-the-test-ca',
      ],
      { stdio: 'ignore' },
    );
    // drainTimeoutMs 1 s: stop() does not wait for kafkajs's own connection retries.
    const r = await runAgent(
      { brokers: sec.saslSslBrokers, tls: { caFile: `${other}.pem` }, sasl: { mechanism: 'scram-sha-512', username: sec.scram.username } },
      { QMPIPE_KAFKA_SASL_PASSWORD: sec.scram.password },
      { drainTimeoutMs: 1000 },
    );
    await waitFor(
      'a TLS verification error in the log',
      () => r.logs.some((l) => l.level === 'error' && /self-signed certificate in certificate chain/.test(l.msg)),
      10_000,
    );
    await sleep(1000);
    expect(r.logs.filter((l) => /authentication failed/i.test(l.msg))).toEqual([]); // TLS fails first: the password is never sent
    await expectSpooledNotPublished(r);
  });
});
