#!/usr/bin/env node
// Readiness check for the local S3 endpoint: waits until ListBuckets succeeds with the
// stack's SigV4 credentials (@aws-sdk/client-s3, path-style, us-east-1).
//   node infra/s3/wait.mjs ENDPOINT ACCESS_KEY SECRET_KEY [TIMEOUT_SECONDS]
import { S3Client, ListBucketsCommand } from '@aws-sdk/client-s3';
import { waitFor } from '../waitFor.mjs';

const [endpoint, accessKeyId, secretAccessKey, timeoutArg] = process.argv.slice(2);
if (!endpoint || !accessKeyId || !secretAccessKey) {
  process.stderr.write('usage: wait.mjs ENDPOINT ACCESS_KEY SECRET_KEY [TIMEOUT_SECONDS]\n');
  process.exit(2);
}
const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
await waitFor('s3proxy', `${endpoint} (ListBuckets)`, timeoutArg, () => s3.send(new ListBucketsCommand({})));
