#!/usr/bin/env node
// Readiness check for the local broker: waits until a kafkajs admin client can list topics.
//   node infra/kafka/wait.mjs HOST:PORT [TIMEOUT_SECONDS]
// Exits 0 when ready; 1 with `[kafka] ...` on stderr after the timeout.
import kafkajs from 'kafkajs';
import { waitFor } from '../waitFor.mjs';

const { Kafka, logLevel } = kafkajs;
const [brokers, timeoutArg] = process.argv.slice(2);
if (!brokers) {
  process.stderr.write('usage: wait.mjs HOST:PORT [TIMEOUT_SECONDS]\n');
  process.exit(2);
}
const kafka = new Kafka({
  clientId: 'qmpipe-infra-wait',
  brokers: brokers.split(','),
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  retry: { retries: 0 },
});
await waitFor('kafka', `broker ${brokers} (admin listTopics)`, timeoutArg, async () => {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } finally {
    await admin.disconnect().catch(() => {});
  }
});
