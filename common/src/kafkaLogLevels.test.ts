/**
 * One row per rule of kafkaLogLevels.ts. Each entry is built by kafkajs's own logger
 * (src/loggers/index.js) with the namespace, level, message and fields of the kafkajs
 * 2.2.4 call site named in the row (messages as seen from the real broker).
 */
import { createRequire } from 'node:module';
import { type LogEntry, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogCreator } from './kafka.js';
import { KAFKA_LOG_RULES, kafkaLogFacts, kafkaLogLevel, kafkaLogRule } from './kafkaLogLevels.js';
import { createLogger, type LogLevel } from './log.js';

type Level = 'error' | 'warn' | 'info' | 'debug';
interface KafkajsLogger extends Record<Level, (message: string, extra?: object) => void> {
  namespace(ns: string): KafkajsLogger;
}
const require = createRequire(import.meta.url);
const { createLogger: createKafkajsLogger } = require('kafkajs/src/loggers/index.js') as {
  createLogger(o: { level: logLevel; logCreator: (l: logLevel) => (e: LogEntry) => void }): KafkajsLogger;
};

/** The entry kafkajs hands a logCreator for `logger.namespace(ns)[level](message, extra)` (null: its root logger). */
function kafkajsEntry(ns: string | null, level: Level, message: string, extra: object = {}): LogEntry {
  const seen: LogEntry[] = [];
  const root = createKafkajsLogger({ level: logLevel.DEBUG, logCreator: () => (e) => seen.push(e) });
  (ns === null ? root : root.namespace(ns))[level](message, extra);
  return seen[0]!;
}

const conn = { broker: '127.0.0.1:45673', clientId: 'proc-a' };
const RETRIES = 5;

interface Row {
  rule: string | undefined;
  site: string;
  entry: LogEntry;
  want: LogLevel;
}

const rows: Row[] = [
  {
    rule: 'handled-by-qmpipe',
    site: 'network/connection.js send(): CONCURRENT_TRANSACTIONS',
    entry: kafkajsEntry('Connection', 'error', 'Response AddOffsetsToTxn(key: 25, version: 1)', {
      ...conn,
      error: 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
      correlationId: 7,
      size: 10,
    }),
    want: 'debug',
  },
  {
    rule: 'handled-by-qmpipe',
    site: 'producer/index.js: idempotent retry limit',
    entry: kafkajsEntry('Producer', 'warn', 'Limiting retries for the idempotent producer to Number.MAX_SAFE_INTEGER', {}),
    want: 'debug',
  },
  {
    rule: 'handled-by-qmpipe',
    site: 'index.js: the v2 partitioner notice (root logger, no namespace)',
    entry: kafkajsEntry(null, 'warn', 'KafkaJS v2.0.0 switched default partitioner. To retain the same partitioning behavior as in previous versions, …'),
    want: 'debug',
  },
  {
    rule: 'authentication',
    site: 'broker/saslAuthenticator/scram.js',
    entry: kafkajsEntry('SaslAuthenticator-SCRAM-SHA-512', 'error', 'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication', {
      broker: conn.broker,
    }),
    want: 'error',
  },
  {
    rule: 'authentication',
    site: 'cluster/brokerPool.js connect(): the same failure relayed, first attempt (kafkajs bails)',
    entry: kafkajsEntry('BrokerPool', 'error', 'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication', {
      retryCount: 0,
      retryTime: 300,
    }),
    want: 'error',
  },
  {
    rule: 'tls-verification',
    site: 'network/connection.js: a CA that did not sign the broker certificate (first attempt)',
    entry: kafkajsEntry('Connection', 'error', 'Connection error: self-signed certificate in certificate chain', {
      ...conn,
      stack: 'Error: self-signed certificate in certificate chain',
    }),
    want: 'error',
  },
  {
    rule: 'tls-verification',
    site: 'cluster/brokerPool.js: the retried seed-broker connection, before the retries run out',
    entry: kafkajsEntry(
      'BrokerPool',
      'error',
      "Failed to connect to seed broker, trying another broker from the list: Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: ",
      { retryCount: 0, retryTime: 300 },
    ),
    want: 'error',
  },
  {
    rule: 'authorization',
    site: 'network/connection.js send(): TOPIC_AUTHORIZATION_FAILED',
    entry: kafkajsEntry('Connection', 'error', 'Response Metadata(key: 3, version: 6)', {
      ...conn,
      error: 'Not authorized to access topics: [Topic authorization failed]',
      correlationId: 3,
      size: 40,
    }),
    want: 'error',
  },
  {
    rule: 'consumer-crash-restarted',
    site: 'consumer/index.js onCrash: retries exhausted, kafkajs restarts',
    entry: kafkajsEntry('Consumer', 'error', 'Crash: KafkaJSNumberOfRetriesExceeded: The group coordinator is not available', {
      groupId: 'g',
      retryCount: 5,
      stack: 'KafkaJSNonRetriableError…',
    }),
    want: 'warn',
  },
  {
    rule: 'consumer-crash-restarted',
    site: 'consumer/index.js onCrash: a connection closed (KafkaJSConnectionClosedError is retriable)',
    entry: kafkajsEntry('Consumer', 'error', 'Crash: KafkaJSConnectionClosedError: Closed connection', { groupId: 'g', stack: '…' }),
    want: 'warn',
  },
  {
    rule: 'consumer-crash',
    site: 'consumer/index.js onCrash: a non-retriable protocol error, no restart',
    entry: kafkajsEntry('Consumer', 'error', 'Crash: KafkaJSProtocolError: The group is rebalancing, so a rejoin is needed', { groupId: 'g', stack: '…' }),
    want: 'error',
  },
  {
    rule: 'consumer-crash',
    site: 'consumer/index.js onCrash: an error of our own eachBatch',
    entry: kafkajsEntry('Consumer', 'error', 'Crash: TypeError: x is undefined', { groupId: 'g', stack: '…' }),
    want: 'error',
  },
  {
    rule: 'consumer-restart',
    site: 'consumer/index.js onCrash: restart',
    entry: kafkajsEntry('Consumer', 'error', 'Restarting the consumer in 300ms', { retryCount: 5, retryTime: 300, groupId: 'g' }),
    want: 'warn',
  },
  {
    rule: 'rebalance',
    site: 'network/connection.js send(): a heartbeat during a rebalance',
    entry: kafkajsEntry('Connection', 'error', 'Response Heartbeat(key: 12, version: 3)', {
      ...conn,
      error: 'The group is rebalancing, so a rejoin is needed',
      correlationId: 9,
      size: 10,
    }),
    want: 'info',
  },
  {
    rule: 'rebalance',
    site: 'consumer/runner.js start(): re-joining',
    entry: kafkajsEntry('Runner', 'warn', 'The group is rebalancing, re-joining', {
      groupId: 'g',
      memberId: 'proc-a-1',
      error: 'The group is rebalancing, so a rejoin is needed',
    }),
    want: 'info',
  },
  {
    rule: 'rebalance',
    site: 'network/connection.js send(): NOT_COORDINATOR_FOR_GROUP (the coordinator moved)',
    entry: kafkajsEntry('Connection', 'error', 'Response OffsetCommit(key: 8, version: 5)', {
      ...conn,
      error: 'This is not the correct coordinator for this group',
    }),
    want: 'info',
  },
  {
    rule: 'member-expired',
    site: 'consumer/runner.js start(): UNKNOWN_MEMBER_ID',
    entry: kafkajsEntry('Runner', 'error', 'The coordinator is not aware of this member, re-joining the group', {
      groupId: 'g',
      memberId: 'proc-a-1',
      error: 'The coordinator is not aware of this member',
    }),
    want: 'warn',
  },
  {
    rule: 'retries-exhausted',
    site: 'cluster/brokerPool.js connect(): the last attempt',
    entry: kafkajsEntry(
      'BrokerPool',
      'error',
      'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:1',
      {
        retryCount: RETRIES,
        retryTime: 5000,
      },
    ),
    want: 'error',
  },
  {
    rule: 'retries-exhausted',
    site: 'producer/sendMessages.js: unknown topic (auto-create off), the last attempt',
    entry: kafkajsEntry('Producer', 'error', 'Failed to send messages: This server does not host this topic-partition', {
      retryCount: RETRIES,
      retryTime: 5000,
    }),
    want: 'error',
  },
  {
    rule: 'not-retriable',
    site: 'network/connection.js send(): MESSAGE_TOO_LARGE',
    entry: kafkajsEntry('Connection', 'error', 'Response Produce(key: 0, version: 7)', {
      ...conn,
      error: 'The request included a message larger than the max message size the server will accept',
    }),
    want: 'error',
  },
  {
    rule: 'leadership-moving',
    site: 'network/connection.js send(): a fresh broker, __consumer_offsets not there yet',
    entry: kafkajsEntry('Connection', 'error', 'Response GroupCoordinator(key: 10, version: 2)', {
      ...conn,
      error: 'The group coordinator is not available',
      correlationId: 2,
      size: 55,
    }),
    want: 'info',
  },
  {
    rule: 'leadership-moving',
    site: 'network/connection.js send(): InitProducerId while the transaction coordinator loads',
    entry: kafkajsEntry('Connection', 'error', 'Response InitProducerId(key: 22, version: 1)', {
      ...conn,
      error: "The coordinator is loading and hence can't process requests for this group",
      correlationId: 2,
      size: 20,
    }),
    want: 'info',
  },
  {
    rule: 'leadership-moving',
    site: 'network/connection.js send(): a leader election',
    entry: kafkajsEntry('Connection', 'error', 'Response Produce(key: 0, version: 7)', {
      ...conn,
      error: 'This server is not the leader for that topic-partition',
    }),
    want: 'info',
  },
  {
    rule: 'retried',
    site: 'network/connection.js onError: a refused connection',
    entry: kafkajsEntry('Connection', 'error', 'Connection error: connect ECONNREFUSED 127.0.0.1:1', { ...conn, stack: 'Error: connect ECONNREFUSED…' }),
    want: 'warn',
  },
  {
    rule: 'retried',
    site: 'cluster/brokerPool.js connect(): an attempt before the last',
    entry: kafkajsEntry(
      'BrokerPool',
      'error',
      'Failed to connect to seed broker, trying another broker from the list: Connection error: connect ECONNREFUSED 127.0.0.1:1',
      {
        retryCount: 0,
        retryTime: 300,
      },
    ),
    want: 'warn',
  },
  {
    rule: 'retried',
    site: 'producer/sendMessages.js: unknown topic, retried',
    entry: kafkajsEntry('Producer', 'error', 'Failed to send messages: This server does not host this topic-partition', { retryCount: 1, retryTime: 600 }),
    want: 'warn',
  },
  {
    rule: 'retried',
    site: 'network/connection.js send(): REQUEST_TIMED_OUT from the broker',
    entry: kafkajsEntry('Connection', 'error', 'Response Produce(key: 0, version: 7)', { ...conn, error: 'The request timed out' }),
    want: 'warn',
  },
  {
    rule: undefined,
    site: 'consumer/consumerGroup.js: offset out of range, reset (records skipped): kafkajs level',
    entry: kafkajsEntry('ConsumerGroup', 'error', 'Offset out of range, resetting to default offset', { topic: 't', partition: 0, groupId: 'g' }),
    want: 'error',
  },
  {
    rule: undefined,
    site: 'consumer/index.js run(): a warning of its own: kafkajs level',
    entry: kafkajsEntry('Consumer', 'warn', 'consumer#run was called, but the consumer is already running', { groupId: 'g' }),
    want: 'warn',
  },
  {
    rule: undefined,
    site: 'a root-logger entry of no rule: kafkajs level',
    entry: kafkajsEntry(null, 'error', 'Something kafkajs has not said before'),
    want: 'error',
  },
];

describe('kafkajs log levels', () => {
  for (const r of rows) {
    it(`${r.rule ?? '(kafkajs level)'}: ${r.site} → ${r.want}`, () => {
      expect(kafkaLogRule(kafkaLogFacts(r.entry, RETRIES))?.name).toBe(r.rule);
      expect(kafkaLogLevel(r.entry, RETRIES)).toBe(r.want);
    });
  }

  it('every rule has a row', () => {
    expect(new Set(rows.map((r) => r.rule).filter((n) => n !== undefined))).toEqual(new Set(KAFKA_LOG_RULES.map((r) => r.name)));
  });

  it("kafkaLogCreator logs the entry at the rule's level, with its fields and kafkajs's namespace", () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = createLogger({}, { level: 'debug', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), now: () => 0 });
    const creator = kafkaLogCreator(log)(logLevel.WARN);
    creator(rows.find((r) => r.rule === 'leadership-moving')!.entry);
    creator(rows.find((r) => r.rule === 'authentication')!.entry);
    expect(lines).toEqual([
      {
        ts: '1970-01-01T00:00:00.000Z',
        level: 'info',
        msg: 'Response GroupCoordinator(key: 10, version: 2)',
        kafkajs: 'Connection',
        ...conn,
        error: 'The group coordinator is not available',
        correlationId: 2,
        size: 55,
      },
      {
        ts: '1970-01-01T00:00:00.000Z',
        level: 'error',
        msg: 'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication',
        kafkajs: 'SaslAuthenticator-SCRAM-SHA-512',
        broker: conn.broker,
      },
    ]);
  });
});
