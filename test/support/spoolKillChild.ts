/**
 * Child process for the spool's kill test: a Spool on QMPIPE_TEST_SPOOL_DIR takes
 * QMPIPE_TEST_PUSH records (all fit in memory), sends and acknowledges a batch of
 * QMPIPE_TEST_ACK, takes QMPIPE_TEST_MORE more, prints `ready <records in memory>` and
 * waits to be killed.
 */
import { Spool } from '#agent/spool/spool.js';

const env = (k: string): number => Number(process.env[k] ?? 0);
const spool = new Spool({ memoryBytes: 64 << 20, dir: process.env.QMPIPE_TEST_SPOOL_DIR!, diskBytes: 1 << 30 });
const rec = (i: number) => ({ key: `vm-${i % 3}`, value: Buffer.from(`record ${i}`) });
let i = 0;
for (; i < env('QMPIPE_TEST_PUSH'); i++) spool.push(rec(i));
spool.peek(env('QMPIPE_TEST_ACK'), 1 << 30);
spool.commit();
for (const end = i + env('QMPIPE_TEST_MORE'); i < end; i++) spool.push(rec(i));
process.stdout.write(`ready ${spool.tiers().memory.records}\n`);
setInterval(() => {}, 60_000); // until SIGKILL
