#!/usr/bin/env node
// Readiness check for the local broker: waits until a kafkajs admin client can list topics.
//   node infra/kafka/wait.mjs HOST:PORT [TIMEOUT_SECONDS]
// Exits 0 when ready; 1 with `[kafka] ...` on stderr after the timeout.
import kafkajs from 'kafkajs';
import { waitFor } from '../waitFor.mjs';

const { Kafka, logLevel } = kafkajs;
// The same kafkajs guards as every qmpipe command (common/src/kafkajsGuards.ts), from the
// build when there is one (npm test and npm run demo build first): without them kafkajs
// arms a timer from an absolute time on an idle connection (Node 24: TimeoutNegativeWarning).
try {
  (await import('../../dist/common/src/kafkajsGuards.js')).installKafkajsGuards();
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
}
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
