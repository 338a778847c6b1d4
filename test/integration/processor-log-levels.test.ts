/**
 * Log levels mean something (common/src/kafkaLogLevels.ts): the real processor started
 * against the real broker, joined by a second instance that then leaves (two rebalances),
 * writes no line at level error; a real error (a wrong SASL password on the broker's
 * SASL_SSL listener) still does.
 */
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaClientConfig, kafkaLogCreator } from '#common/kafka.js';
import { createLogger } from '#common/log.js';
import { stack } from './helpers/index.js';
import { assignment, exited, metric, type ProcessorInstance, spawnProcessor, until } from './processor-instances.js';
import { fleetRecords, newScenario, produce } from './processor-support.js';

const instances: ProcessorInstance[] = [];

afterEach(async () => {
  for (const p of instances.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await exited(p);
  }
});

interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** The instance's JSON log lines (non-JSON lines, if any, kept as level "?"). */
function logLines(p: ProcessorInstance): LogLine[] {
  return readFileSync(p.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return { level: '?', msg: l };
      }
    });
}

async function start(name: string, sc: Awaited<ReturnType<typeof newScenario>>): Promise<ProcessorInstance> {
  const p = await spawnProcessor(sc, name);
  instances.push(p);
  return p;
}

describe('processor log levels (real Kafka + S3Proxy)', () => {
  it('start-up and two rebalances (a second instance joins, then leaves) log no error', async () => {
    const sc = await newScenario('proc-logs', 3, { maxBatchMessages: 5 });
    // Logs at info: the start-up and rebalance chatter is visible, so the test sees its level.
    sc.cfg.log = { level: 'info' };
    await produce(sc, fleetRecords(2));
    const committed = ['processor_transactions_total', { result: 'committed' }] as const;
    const a = await start('a', sc);
    await until(async () => (await metric(a, ...committed)) >= 1, 'the first instance commits', 90_000, a);
    const b = await start('b', sc);
    await until(async () => {
      const m = await assignment(sc);
      return Boolean(m?.get(a.clientId)?.length && m.get(b.clientId)?.length);
    }, 'both instances hold partitions');
    b.child.kill('SIGTERM');
    expect(await exited(b), b.logs.join('')).toBe(0);
    await until(async () => (await assignment(sc))?.get(a.clientId)?.length === 3, 'the first instance holds all partitions again', 90_000, a);
    a.child.kill('SIGTERM');
    expect(await exited(a), a.logs.join('')).toBe(0);
    const lines = [...logLines(a), ...logLines(b)];
    const errors = lines.filter((l) => l.level !== 'debug' && l.level !== 'info' && l.level !== 'warn');
    expect(errors, JSON.stringify(errors, null, 1)).toEqual([]);
    // Both instances logged (at info): the test looked at lines that exist.
    expect(logLines(a).length).toBeGreaterThan(0);
    expect(logLines(b).length).toBeGreaterThan(0);
    console.log(`[processor-log-levels] ${lines.length} lines, levels ${JSON.stringify(countBy(lines.map((l) => l.level)))}`);
  }, 240_000);

  it('a wrong SASL password on the SASL_SSL listener logs at error', async () => {
    const sec = stack().kafkaSecurity;
    const lines: LogLine[] = [];
    const log = createLogger({}, { level: 'debug', write: (l) => lines.push(JSON.parse(l) as LogLine) });
    const conn = {
      clientId: 'it-log-levels-sasl',
      brokers: sec.saslSslBrokers,
      connectionTimeoutMs: 2_000,
      requestTimeoutMs: 10_000,
      tls: { caFile: sec.caFile, rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512' as const, username: sec.scram.username, password: `${sec.scram.password}-wrong` },
    };
    const admin = new kafkajs.Kafka(kafkaClientConfig(conn, kafkaLogCreator(log))).admin();
    await expect(admin.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/);
    await admin.disconnect();
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors.length, JSON.stringify(lines, null, 1)).toBeGreaterThan(0);
    expect(errors.some((l) => /authentication failed/.test(`${l.msg} ${String(l.error ?? '')}`))).toBe(true);
  });
});

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = Object.create(null);
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
