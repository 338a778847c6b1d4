/**
 * Runtime guard for kafkajs 2.2.4's read_committed filtering
 * (node_modules/kafkajs/src/consumer/filterAbortedMessages.js), which hands records of
 * aborted transactions to the application.
 *
 * With each fetched partition the broker lists the aborted transactions that overlap it
 * (producer id, first offset), ordered by where they ended (their abort markers). A record
 * of an aborted transaction must be dropped from its transaction's first offset until its
 * producer's abort marker. kafkajs walks the records and, at each record, starts ignoring the
 * producer of at most ONE listed transaction, the next in list order, once the record's
 * offset has reached its first offset. So when transactions of several producers overlap
 * and ended in another order than they began (or several began before the fetch offset), a
 * transaction is started late and its first records reach the application. The processor's
 * alerts and rates partitions are written by one transactional producer per input
 * partition; after a SIGKILL the next owner aborts the dead one's transactions partition by
 * partition: a kafkajs consumer read an alert twice (the aborted copy and the republished
 * one) where the Java client reads it once (test/integration/kafkajs-read-committed.test.ts).
 *
 * The guard wraps `parse` of the fetch responses that carry aborted transactions (v4–v11):
 * it applies the rule itself, as the Java client does (transactions in first-offset order,
 * every one that has begun by a record is in effect, until its producer's abort marker), marks
 * each aborted record as a control record (kafkajs drops those after its own filter but keeps
 * them for offsets, so the consumer moves past them), and empties the list, so kafkajs's own
 * filter has nothing to do. Unknown kafkajs: throws KAFKAJS_GUARD_UNSUPPORTED, as the
 * request-queue guard does (kafkajsRequestQueueGuard.ts).
 */
import { createRequire } from 'node:module';
import { QmpipeError } from './errors.js';
import { GUARDED_KAFKAJS_VERSIONS } from './kafkajsRequestQueueGuard.js';

/** What the guard reads of a decoded record. */
export interface FetchedRecord {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext?: { producerId?: string; inTransaction?: boolean };
}

export interface FetchedPartition {
  abortedTransactions?: Array<{ producerId: string; firstOffset: string }>;
  messages: FetchedRecord[];
}

const GUARDED = Symbol.for('qmpipe.kafkajsReadCommittedGuard');
const FETCH_VERSIONS_WITH_ABORTED = [4, 5, 6, 7, 8, 9, 10, 11];

/** A control record's key: version (int16) and type (int16): 0 abort, 1 commit. */
function isAbortMarker(r: FetchedRecord): boolean {
  return r.key !== null && r.key.length >= 4 && r.key.readInt16BE(2) === 0;
}

/** Marks the partition's records of aborted transactions as control records, and clears the list. Returns how many. */
export function dropAborted(p: FetchedPartition): number {
  const list = p.abortedTransactions ?? [];
  if (list.length === 0) return 0;
  const aborted = [...list].sort((a, b) => (BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : 1));
  const active = new Set<string>();
  let next = 0;
  let dropped = 0;
  for (const r of p.messages) {
    const offset = BigInt(r.offset);
    while (next < aborted.length && BigInt(aborted[next]!.firstOffset) <= offset) active.add(aborted[next++]!.producerId);
    const producer = r.batchContext?.producerId;
    if (r.isControlRecord) {
      if (producer !== undefined && isAbortMarker(r)) active.delete(producer);
      continue;
    }
    if (r.batchContext?.inTransaction && producer !== undefined && active.has(producer)) {
      r.isControlRecord = true;
      dropped++;
    }
  }
  p.abortedTransactions = [];
  return dropped;
}

type Parse = (data: unknown) => unknown;
interface FetchResponseModule {
  parse: Parse & { [GUARDED]?: Parse };
}

function guardParse(upstream: Parse): Parse {
  const guarded = async (data: unknown) => {
    const parsed = (await upstream(data)) as { responses?: Array<{ partitions?: FetchedPartition[] }> };
    for (const t of parsed?.responses ?? []) for (const p of t.partitions ?? []) dropAborted(p);
    return parsed;
  };
  return Object.assign(guarded, { [GUARDED]: upstream });
}

const require = createRequire(import.meta.url);

/**
 * Installs the guard process-wide (idempotent; returns true the first time). Throws
 * KAFKAJS_GUARD_UNSUPPORTED when the installed kafkajs is not one it was written for.
 */
export function installKafkajsReadCommittedGuard(): boolean {
  const version = (require('kafkajs/package.json') as { version?: unknown }).version;
  if (typeof version !== 'string' || !GUARDED_KAFKAJS_VERSIONS.includes(version)) {
    throw new QmpipeError(
      'KAFKAJS_GUARD_UNSUPPORTED',
      `kafkajs ${String(version)} is installed; common/src/kafkajsReadCommittedGuard.ts was written for kafkajs ${GUARDED_KAFKAJS_VERSIONS.join(', ')}: ` +
        'check its consumer/filterAbortedMessages.js and fetch responses, then extend GUARDED_KAFKAJS_VERSIONS or remove the guard',
      { context: { version } },
    );
  }
  let installed = false;
  for (const v of FETCH_VERSIONS_WITH_ABORTED) {
    const mod = require(`kafkajs/src/protocol/requests/fetch/v${v}/response.js`) as FetchResponseModule;
    if (typeof mod.parse !== 'function') throw new QmpipeError('KAFKAJS_GUARD_UNSUPPORTED', `kafkajs ${version}: fetch v${v} response has no parse`);
    if (GUARDED in mod.parse) continue;
    mod.parse = guardParse(mod.parse);
    installed = true;
  }
  return installed;
}
