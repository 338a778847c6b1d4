#!/usr/bin/env node
// Readiness check for the local S3 endpoint: waits until ListBuckets succeeds with the
// stack's SigV4 credentials (@aws-sdk/client-s3, path-style, us-east-1).
//   node infra/s3/wait.mjs ENDPOINT ACCESS_KEY SECRET_KEY [TIMEOUT_SECONDS]
import { S3Client, ListBucketsCommand } from '@aws-sdk/client-s3';

const [endpoint, accessKeyId, secretAccessKey, timeoutArg] = process.argv.slice(2);
if (!endpoint || !accessKeyId || !secretAccessKey) {
  process.stderr.write('usage: wait.mjs ENDPOINT ACCESS_KEY SECRET_KEY [TIMEOUT_SECONDS]\n');
  process.exit(2);
}
const deadline = Date.now() + Number(timeoutArg ?? 60) * 1000;
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId, secretAccessKey },
  maxAttempts: 1,
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
    process.stderr.write(`[s3proxy] process ${watchPid} exited before it was ready: ${lastError}\n`);
    process.exit(1);
  }
  try {
    await s3.send(new ListBucketsCommand({}));
    process.exit(0);
  } catch (err) {
    lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    await new Promise((r) => setTimeout(r, 250));
  }
}
process.stderr.write(`[s3proxy] ${endpoint} not ready: ListBuckets failed: ${lastError}\n`);
process.exit(1);
