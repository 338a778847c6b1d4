/**
 * The level at which qmpipe logs each kafkajs 2.2.4 log entry: error only for what an
 * operator must act on, warn for what kafkajs retries or recovers from but is worth a
 * look, info for what every start-up, rebalance and leader change does.
 *
 * kafkajs logs at ERROR many things it handles itself: every protocol error in a
 * response (`Response GroupCoordinator(key: 10, version: 2)` with `error: "The group
 * coordinator is not available"` while a fresh broker creates __consumer_offsets), every
 * heartbeat answered "rebalancing", every failed connection attempt it retries. The entry
 * carries the error as its message text only (`log.error = e.message`, or inside
 * `log.message`), so the error is identified through kafkajs's own tables:
 * src/protocol/error.js (type and `retriable` of each protocol error, whose messages are
 * unique), src/errors.js (`isRebalancing`, the error classes and which are non-retriable),
 * and `log.retryCount` against the client's retry budget.
 *
 * Rules are tried in order; the first that matches gives the level. Unit tests:
 * kafkaLogLevels.test.ts, one per rule, with entries built by kafkajs's own logger.
 */
import { createRequire } from 'node:module';
import { type LogEntry, logLevel } from 'kafkajs';
import type { LogLevel } from './log.js';

interface ProtocolError {
  type: string;
  code: number;
  retriable: boolean;
  message: string;
}
type ErrorClass = abstract new (...args: never[]) => Error;
interface KafkajsErrors {
  isRebalancing(e: { type?: string }): boolean;
  KafkaJSError: ErrorClass;
  KafkaJSNonRetriableError: ErrorClass;
}

const require = createRequire(import.meta.url);
const { errorCodes } = require('kafkajs/src/protocol/error.js') as { errorCodes: ProtocolError[] };
const kafkajsErrors = require('kafkajs/src/errors.js') as KafkajsErrors & Record<string, unknown>;

/** What an entry says, as far as kafkajs's tables can tell. */
export interface KafkaLogFacts {
  namespace: string;
  /** kafkajs's level for the entry. */
  level: logLevel;
  message: string;
  /** The protocol error the entry reports (by its unique message), if any. */
  protocol: ProtocolError | undefined;
  /** `Crash: <name>: …`: the name of the error that stopped the consumer. */
  crashedWith: string | undefined;
  /** The attempt (0-based) of a retried operation, when kafkajs logs it. */
  retryCount: number | undefined;
  /** The client's retry budget (`retry.retries`): attempt `retries` is the last. */
  retries: number;
}

export interface KafkaLogRule {
  name: string;
  level: LogLevel;
  /** What it means for an operator (the table in processor/README.md, "Log levels"). */
  why: string;
  matches(f: KafkaLogFacts): boolean;
}

/** Group and partition leadership moving: start-up, a broker restart, a leader election. */
const MOVING = new Set([
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'GROUP_LOAD_IN_PROGRESS',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'OFFSET_NOT_AVAILABLE',
]);
const AUTHENTICATION = new Set(['SASL_AUTHENTICATION_FAILED', 'ILLEGAL_SASL_STATE', 'UNSUPPORTED_SASL_MECHANISM']);

/** kafkajs's restart rule for a crashed consumer (consumer/index.js onCrash; qmpipe sets no restartOnFailure). */
function restarts(f: KafkaLogFacts): boolean {
  if (f.crashedWith === 'KafkaJSNumberOfRetriesExceeded') return true;
  if (f.crashedWith === 'KafkaJSProtocolError') return f.protocol?.retriable === true;
  return isRetriableClass(f.crashedWith);
}

/** A KafkaJS error class that is retriable (KafkaJSError's default) and not a non-retriable subclass. */
function isRetriableClass(name: string | undefined): boolean {
  const cls = name === undefined ? undefined : kafkajsErrors[name];
  if (typeof cls !== 'function') return false;
  const proto = (cls as ErrorClass).prototype as object;
  return proto instanceof kafkajsErrors.KafkaJSError && !(proto instanceof kafkajsErrors.KafkaJSNonRetriableError);
}

/** Node's texts for a certificate that fails verification (OpenSSL's X509 verify errors, and the host name check). */
const TLS_VERIFICATION =
  /(self[- ]signed certificate|unable to (verify the first|get (local )?issuer) certificate|certificate (has expired|is not yet valid|signature failure|has been revoked)|does not match certificate's altnames)/;

/** A KafkaJSConnectionError (retriable), logged by the connection or relayed by the pool or producer. */
const isConnectionError = (f: KafkaLogFacts) => /(^|: )(Connection error: |Connection timeout$|Closed connection$)/.test(f.message);
/** What kafkajs logs before it retries (cluster/brokerPool.js, producer/sendMessages.js). */
const isRetrying = (f: KafkaLogFacts) =>
  f.retryCount !== undefined && /^(Failed to connect to seed broker, |Failed to connect to broker, reconnecting|Failed to send messages: )/.test(f.message);

export const KAFKA_LOG_RULES: readonly KafkaLogRule[] = [
  {
    name: 'handled-by-qmpipe',
    level: 'debug',
    why: 'concurrent transaction retried; idempotent producer retry limit and partitioner notices (qmpipe chose them)',
    matches: (f) =>
      f.protocol?.type === 'CONCURRENT_TRANSACTIONS' ||
      /^(Limiting retries for the idempotent producer|KafkaJS v2\.0\.0 switched default partitioner)/.test(f.message),
  },
  {
    name: 'authentication',
    level: 'error',
    why: 'wrong credentials or mechanism: nothing works until the config is fixed',
    matches: (f) =>
      f.namespace.startsWith('SaslAuthenticator') || AUTHENTICATION.has(f.protocol?.type ?? '') || /^SASL .*authentication failed/.test(f.message),
  },
  {
    name: 'tls-verification',
    level: 'error',
    why: "the broker's certificate does not verify against the configured CA (or its name, or dates): kafkajs retries, but nothing connects until the config or certificate is fixed",
    matches: (f) => TLS_VERIFICATION.test(f.message),
  },
  {
    name: 'authorization',
    level: 'error',
    why: 'the ACLs refuse a topic, group, transactional id or the cluster',
    matches: (f) => f.protocol?.type.endsWith('_AUTHORIZATION_FAILED') === true,
  },
  {
    name: 'consumer-crash-restarted',
    level: 'warn',
    why: 'the consumer stopped on a retriable error and kafkajs restarts it',
    matches: (f) => f.crashedWith !== undefined && restarts(f),
  },
  {
    name: 'consumer-crash',
    level: 'error',
    why: 'the consumer stopped and kafkajs does not restart it',
    matches: (f) => f.crashedWith !== undefined,
  },
  {
    name: 'consumer-restart',
    level: 'warn',
    why: 'kafkajs restarts a crashed consumer',
    matches: (f) => f.message.startsWith('Restarting the consumer in '),
  },
  {
    name: 'rebalance',
    level: 'info',
    why: 'the group is rebalancing (an instance joined or left): kafkajs re-joins',
    matches: (f) => f.protocol !== undefined && kafkajsErrors.isRebalancing(f.protocol),
  },
  {
    name: 'member-expired',
    level: 'warn',
    why: 'the coordinator forgot this member (session timed out): kafkajs re-joins',
    matches: (f) => f.protocol?.type === 'UNKNOWN_MEMBER_ID',
  },
  {
    name: 'retries-exhausted',
    level: 'error',
    why: 'the last attempt failed: the operation gives up',
    matches: (f) => f.retryCount !== undefined && f.retryCount >= f.retries,
  },
  {
    name: 'not-retriable',
    level: 'error',
    why: 'the broker refused for good (message too large, fenced producer, …)',
    matches: (f) => f.protocol?.retriable === false,
  },
  {
    name: 'leadership-moving',
    level: 'info',
    why: 'coordinator or partition leader not there yet (start-up, leader election): kafkajs retries',
    matches: (f) => MOVING.has(f.protocol?.type ?? ''),
  },
  {
    name: 'retried',
    level: 'warn',
    why: 'a retriable error or lost connection: kafkajs retries, error only once retries are exhausted',
    matches: (f) => f.protocol?.retriable === true || isConnectionError(f) || isRetrying(f),
  },
];

const KAFKAJS_LEVEL: Record<logLevel, LogLevel | null> = {
  [logLevel.NOTHING]: null,
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** The facts of a kafkajs log entry, for a client whose retry budget is `retries`. */
export function kafkaLogFacts(entry: LogEntry, retries: number): KafkaLogFacts {
  const message = String(entry.log.message);
  const error: unknown = entry.log.error;
  const errorText = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  const text = `${message}\n${errorText}`;
  const protocol = errorCodes.find((e) => errorText === e.message || message === e.message || text.endsWith(`: ${e.message}`));
  const crash = /^Crash: (\w+): /.exec(message);
  const rc: unknown = entry.log.retryCount;
  return {
    namespace: entry.namespace ?? '', // the root logger has none (typed string by kafkajs)
    level: entry.level,
    message,
    protocol,
    crashedWith: crash?.[1],
    retryCount: typeof rc === 'number' ? rc : undefined,
    retries,
  };
}

/** The rule for an entry (undefined: none, kafkajs's own level holds). */
export function kafkaLogRule(f: KafkaLogFacts): KafkaLogRule | undefined {
  return KAFKA_LOG_RULES.find((r) => r.matches(f));
}

/** qmpipe's level for a kafkajs entry; null for kafkajs's NOTHING. */
export function kafkaLogLevel(entry: LogEntry, retries: number): LogLevel | null {
  const f = kafkaLogFacts(entry, retries);
  return kafkaLogRule(f)?.level ?? KAFKAJS_LEVEL[f.level];
}
