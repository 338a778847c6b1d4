#!/usr/bin/env node
// Readiness check for the local broker: waits until a kafkajs admin client can list topics.
//   node infra/kafka/wait.mjs HOST:PORT [TIMEOUT_SECONDS]
// Exits 0 when ready; 1 with `[kafka] ...` on stderr after the timeout.
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const [brokers, timeoutArg] = process.argv.slice(2);
if (!brokers) {
  process.stderr.write('usage: wait.mjs HOST:PORT [TIMEOUT_SECONDS]\n');
  process.exit(2);
}
const deadline = Date.now() + Number(timeoutArg ?? 60) * 1000;
const kafka = new Kafka({
  clientId: 'qmpipe-infra-wait',
  brokers: brokers.split(','),
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  retry: { retries: 0 },
});
let lastError = 'no attempt';
// Optional: the server's pid, so a crashed server fails the wait at once.
const watchPid = Number(process.env.QMPIPE_WAIT_PID ?? 0);
const alive = () => {
  if (!watchPid) return true;
  try {
    process.kill(watchPid, 0);
    return true;
  } catch {
    return false;
  }
};
while (Date.now() < deadline) {
  if (!alive()) {
    process.stderr.write(`[kafka] process ${watchPid} exited before it was ready: ${lastError}\n`);
    process.exit(1);
  }
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    await admin.disconnect();
    process.exit(0);
  } catch (err) {
    lastError = err instanceof Error ? err.message : String(err);
    await admin.disconnect().catch(() => {});
    await new Promise((r) => setTimeout(r, 250));
  }
}
process.stderr.write(`[kafka] broker ${brokers} not ready: admin listTopics failed: ${lastError}\n`);
process.exit(1);
