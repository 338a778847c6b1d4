/**
 * Rolling upgrades against the real broker (issue #14 item 2): agents are upgraded one
 * host at a time, so a running processor meets records of a writer schema it did not
 * know when it started; and the schema topic may hold a message that is not a schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprintOf, MAGIC, schemaTopicMessage } from '#schemas/codecs/avro.js';
import { rawCodec } from '#schemas/codecs/raw.js';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import type { RawRecord } from '#schemas/types.js';
import { kafkaClient } from './helpers/index.js';
import { exited, metric, type ProcessorInstance, spawnProcessor, until } from './processor-instances.js';
import { actual, fleetRecords, lagOf, newScenario, produce, reference, type Scenario, sameKeys } from './processor-support.js';

const instances: ProcessorInstance[] = [];
afterEach(async () => {
  for (const p of instances.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await exited(p);
  }
});

/** raw.avsc as a newer agent build has it: one more optional field. */
function newerWriter(): avro.Type {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schemas', 'avro', 'raw.avsc'), 'utf8')) as { fields: unknown[] };
  return avro.Type.forSchema({ ...schema, fields: [...schema.fields, { name: 'agentBuild', type: ['null', 'string'], default: null }] } as avro.Schema);
}

function encodeNewer(type: avro.Type, r: RawRecord): Buffer {
  const wire = { vm: r.vm, seq: r.seq, runId: r.runId ?? null, t: r.t, body: { [`qmpipe.raw.${r.body.kind}`]: r.body.value }, agentBuild: '0.2.0' };
  return Buffer.concat([MAGIC, fingerprintOf(type), type.toBuffer(wire)]);
}

async function publish(topic: string, messages: Array<{ key: string; value: Buffer | string }>): Promise<void> {
  const p = kafkaClient('it-upgrade').producer();
  await p.connect();
  for (let i = 0; i < messages.length; i += 500) await p.send({ topic, messages: messages.slice(i, i + 500) });
  await p.disconnect();
}

async function start(sc: Scenario, name: string): Promise<ProcessorInstance> {
  const p = await spawnProcessor(sc, name);
  instances.push(p);
  return p;
}

/** Until the group has committed every raw message; fails at once, with its log, if the processor exits. */
async function caughtUp(sc: Scenario, p: ProcessorInstance): Promise<void> {
  await until(async () => (await lagOf(sc)) === 0, 'the processor commits every message', 90_000, p);
}

async function stop(p: ProcessorInstance): Promise<void> {
  p.child.kill('SIGTERM');
  expect(await exited(p), p.logs.join('')).toBe(0);
}

describe('rolling upgrades (real Kafka + S3Proxy)', () => {
  it('a malformed message in the schema topic is skipped and counted; the processor starts and processes', async () => {
    const sc = await newScenario('upgrade-badschema');
    await publish(sc.schemas, [{ key: 'not-a-fingerprint', value: '{"type": "record", "name": ' }]);
    await produce(sc, fleetRecords(1));
    const p = await start(sc, 'p');
    await caughtUp(sc, p);
    expect(await metric(p, 'processor_malformed_schemas_total')).toBe(1);
    await stop(p);
    const exp = await reference(sc);
    const got = await actual(sc);
    expect(sameKeys(got.alerts, exp.alerts)).toBe('same');
    expect(got.deadLetters).toEqual([]);
  });

  it('an agent upgraded while the processor runs: its new writer schema is read when its records come, none is dead-lettered', async () => {
    const sc = await newScenario('upgrade-agent');
    const records = fleetRecords(2);
    const half = Math.floor(records.length / 2);
    await produce(sc, records.slice(0, half));
    const p = await start(sc, 'p');
    await caughtUp(sc, p);
    // The upgraded agent publishes its writer schema when it starts, then its records.
    const writer = newerWriter();
    await publish(sc.schemas, [schemaTopicMessage(writer)]);
    await publish(
      sc.raw,
      records.slice(half).map((r) => ({ key: r.vm.uuid, value: encodeNewer(writer, r) })),
    );
    await caughtUp(sc, p);
    await stop(p);
    rawCodec().addWriter(writer); // the reference decodes both versions
    const exp = await reference(sc);
    const got = await actual(sc);
    expect(got.deadLetters, 'dead letters').toEqual([]);
    expect(sameKeys(got.alerts, exp.alerts), 'alerts').toBe('same');
    const k = loadProcessorRuntimeConfig({ raw: sc.cfg }).kafka;
    const upgradedFrom = records[half]!.t;
    const newer = exp.alerts.filter((a) => Number(a.split('|')[0]) >= upgradedFrom);
    expect(newer.length, 'alerts of the upgraded agent’s records').toBeGreaterThan(0);
    console.log(
      `[processor-upgrade] ${records.length - half} records of a newer writer schema: ${newer.length} of their alerts published on ${k.alertsTopic}, none dead-lettered`,
    );
  });
});
