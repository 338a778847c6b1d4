/**
 * `qmpipe top --kafka --once --json` (bin/qmpipe.mjs; run `npm run build` first) on the real
 * broker: the processor core's rates and alerts over the thin-LV fixture, written to a
 * rates and an alerts topic in one committed transaction, beside an aborted transaction
 * and a record that does not decode. The frame printed must be the one the same rates and
 * alerts give folded in-process (top/src/model), with nothing of the aborted transaction,
 * and the undecodable record reported on stderr.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { alertMessages, rateMessages } from '#schemas/codecs/outputs.js';
import { buildFrame, type Frame } from '#top/model/frame.js';
import { applyAlert, applyRate, initialTopState } from '#top/model/topState.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { runFixture } from '../support/fixtureRun.js';
import { createTopics, kafkaClient, produceInTransaction, randomName, stack } from './helpers/index.js';

const run = promisify(execFile);
const { Partitioners } = kafkajs;
const bin = join(import.meta.dirname, '..', '..', 'bin', 'qmpipe.mjs');

describe('qmpipe top --kafka', () => {
  const ratesTopic = randomName('it-top-rates');
  const alertsTopic = randomName('it-top-alerts');
  const { rates, alerts } = runFixture();

  beforeAll(async () => {
    await createTopics([ratesTopic, alertsTopic], 1);
    const tx = (outcome: 'commit' | 'abort', r: typeof rates, a: typeof alerts) =>
      produceInTransaction(
        [
          { topic: ratesTopic, messages: rateMessages(r) },
          { topic: alertsTopic, messages: alertMessages(a) },
        ],
        outcome,
      );
    await tx('commit', rates, alerts);
    const ghost = { ...rates[0]!, vm: 'aborted-vm', vmUuid: 'aborted-uuid', value: 1e12 };
    await tx('abort', [ghost], [{ ...alerts[0]!, id: 'aborted0000000000', labels: { ...alerts[0]!.labels, vm: 'aborted-vm', vmUuid: 'aborted-uuid' } }]);
    const p = kafkaClient('it-top-poison').producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await p.connect();
    await p.send({ topic: ratesTopic, messages: [{ key: 'poison', value: Buffer.from('not an avro record') }] });
    await p.disconnect();
  });

  it('--once --json prints the frame the same rates and alerts give in-process, without the aborted transaction, and reports the undecodable record', async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [bin, 'top', '--kafka', '--once', '--json', '--brokers', stack().kafkaBrokers.join(','), '--rates-topic', ratesTopic, '--alerts-topic', alertsTopic],
      { env: { ...process.env, NODE_NO_WARNINGS: '1' }, timeout: 60_000 },
    );
    const got = JSON.parse(stdout) as Frame;
    const state = initialTopState();
    for (const r of rates) applyRate(state, r);
    for (const a of alerts) applyAlert(state, a);
    const want = buildFrame(state, { minGrowth: defaultProcessorConfig().alerts.timeToFull.minGrowthBytesPerSecond });
    expect(want.vms.map((v) => v.vm)).toEqual(['cap-thin']);
    expect(got).toEqual(JSON.parse(JSON.stringify(want)));
    expect(stdout).not.toContain('aborted');
    const warn = stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'records that did not decode were skipped');
    expect(warn).toMatchObject({ level: 'warn', undecodable: 1 });
    const vm = got.vms[0]!;
    console.log(`[top-kafka] ${vm.vm}: ${rates.length} rates, ${alerts.length} alerts → ${vm.alertHistory.length} in its history; ${JSON.stringify(warn)}`);
  });
});
