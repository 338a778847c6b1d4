/**
 * `qmpipe alerts tail` and `qmpipe top --kafka` (bin/qmpipe.mjs; run `npm run build` first)
 * as a user runs them, against the test broker's mutual-TLS listener (infra/kafka/start.sh:
 * SSL with ssl.client.auth=required, a throwaway CA and client certificate per run), the
 * connection given only through the environment, as for every other qmpipe command
 * (schemas/src/config/kafka.ts, env.ts): QMPIPE_KAFKA_BROKERS, QMPIPE_KAFKA_TLS_CA_FILE,
 * QMPIPE_KAFKA_TLS_CERT_FILE, QMPIPE_KAFKA_TLS_KEY_FILE.
 *
 * Regression: alerts' own options had no `tls`, yet the shared environment binding loaded
 * QMPIPE_KAFKA_TLS* into them, so `alerts tail` exited 2 (`Unrecognized key: "tls"`); top
 * took only a CA file, so it could not present a client certificate.
 *
 * The rates and alerts are the processor core's over the thin-LV fixture, written through
 * the PLAINTEXT listener in one committed transaction (as the processor writes them).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { alertMessages, rateMessages } from '#schemas/codecs/outputs.js';
import type { Frame } from '#top/model/frame.js';
import { runFixture } from '../support/fixtureRun.js';
import { createTopics, produceInTransaction, randomName, stack } from './helpers/index.js';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'qmpipe.mjs');

/** The environment a user sets for mutual TLS; nothing on the command line. */
function mtlsEnv(): NodeJS.ProcessEnv {
  const sec = stack().kafkaSecurity;
  return {
    PATH: process.env.PATH,
    NODE_NO_WARNINGS: '1',
    QMPIPE_KAFKA_BROKERS: sec.sslBrokers.join(','),
    QMPIPE_KAFKA_TLS_CA_FILE: sec.caFile,
    QMPIPE_KAFKA_TLS_CERT_FILE: sec.certFile,
    QMPIPE_KAFKA_TLS_KEY_FILE: sec.keyFile,
  };
}

async function qmpipe(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('qmpipe alerts tail and top --kafka over mutual TLS', () => {
  const ratesTopic = randomName('it-mtls-rates');
  const alertsTopic = randomName('it-mtls-alerts');
  const { rates, alerts } = runFixture();

  beforeAll(async () => {
    expect(alerts.length).toBeGreaterThanOrEqual(2);
    await createTopics([ratesTopic, alertsTopic], 1);
    await produceInTransaction(
      [
        { topic: ratesTopic, messages: rateMessages(rates) },
        { topic: alertsTopic, messages: alertMessages(alerts) },
      ],
      'commit',
    );
  });

  it('alerts tail --json prints every transition the topic holds, then exits 0', async () => {
    const r = await qmpipe(['alerts', 'tail', '--json', '--topic', alertsTopic], mtlsEnv());
    expect(r.code).toBe(0);
    const printed = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; type: string; state: string });
    expect(printed.map((p) => `${p.id} ${p.type} ${p.state}`)).toEqual(alerts.map((a) => `${a.id} ${a.type} ${a.state}`));
  });

  it('top --kafka --once --json prints the fixture VM with its rates and alerts', async () => {
    const r = await qmpipe(['top', '--kafka', '--once', '--json', '--rates-topic', ratesTopic, '--alerts-topic', alertsTopic], mtlsEnv());
    expect(r.code).toBe(0);
    const frame = JSON.parse(r.stdout) as Frame;
    expect(frame.vms.map((v) => v.vm)).toEqual(['cap-thin']);
    expect(frame.vms[0]!.alertHistory.length).toBeGreaterThan(0);
  });

  it('QMPIPE_KAFKA_TLS=true is accepted by alerts tail (it used to exit 2 on an unrecognized key)', async () => {
    // TLS verified with the system CAs only: the broker's throwaway CA is not among them, so the
    // run gets to the broker and fails there (exit 1, a certificate error), not on its options.
    const env = { ...mtlsEnv(), QMPIPE_KAFKA_TLS: 'true', QMPIPE_KAFKA_TLS_CA_FILE: '', QMPIPE_KAFKA_TLS_CERT_FILE: '', QMPIPE_KAFKA_TLS_KEY_FILE: '' };
    const r = await qmpipe(['alerts', 'tail', '--topic', alertsTopic], env);
    expect(r.stderr).not.toContain('Unrecognized key');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/certificate/i);
  });
});
