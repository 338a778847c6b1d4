/**
 * Environment variables that set single settings of a config (common/src/config.ts
 * applies them over the file, before validation). Secrets belong here rather than in
 * files; on AWS Lambda, where there is no file, every setting the handler needs has
 * a variable (or QMPIPE_CONFIG holds the whole config as JSON).
 */
import type { EnvBinding } from '#common/config.js';

export const KAFKA_ENV: readonly EnvBinding[] = [
  { name: 'QMPIPE_KAFKA_BROKERS', path: 'kafka.brokers', kind: 'list', doc: 'comma-separated host:port list' },
  {
    name: 'QMPIPE_KAFKA_SASL_MECHANISM',
    path: 'kafka.sasl.mechanism',
    kind: 'string',
    doc: 'plain, scram-sha-256 or scram-sha-512 (the default when a username or password is set)',
  },
  { name: 'QMPIPE_KAFKA_SASL_USERNAME', path: 'kafka.sasl.username', kind: 'string', doc: 'SASL user name' },
  { name: 'QMPIPE_KAFKA_SASL_PASSWORD', path: 'kafka.sasl.password', kind: 'string', doc: 'SASL password', secret: true },
  {
    name: 'QMPIPE_KAFKA_TLS',
    path: 'kafka.tls.rejectUnauthorized',
    kind: 'boolean',
    doc: "true: TLS to the brokers, verified with the system's CAs (Amazon MSK); false: TLS unverified",
  },
  {
    name: 'QMPIPE_KAFKA_TLS_CA_FILE',
    path: 'kafka.tls.caFile',
    kind: 'string',
    doc: "PEM file of the CA that signed the brokers' certificates (turns TLS on)",
  },
  {
    name: 'QMPIPE_KAFKA_TLS_CERT_FILE',
    path: 'kafka.tls.certFile',
    kind: 'string',
    doc: "mutual TLS: PEM file of this client's certificate (with QMPIPE_KAFKA_TLS_KEY_FILE; turns TLS on)",
  },
  { name: 'QMPIPE_KAFKA_TLS_KEY_FILE', path: 'kafka.tls.keyFile', kind: 'string', doc: "mutual TLS: PEM file of this client's private key" },
];

/** Every command with a `log` section (log.ts) reads its level through this one binding. */
export const LOG_ENV: readonly EnvBinding[] = [
  { name: 'QMPIPE_LOG_LEVEL', path: 'log.level', kind: 'string', doc: 'debug, info, warn or error (over the file)' },
];

/** Commands whose config is only a Kafka connection and a log level (`qmpipe alerts`, `qmpipe top --kafka`). */
export const KAFKA_CLIENT_ENV: readonly EnvBinding[] = [...KAFKA_ENV, ...LOG_ENV];

const S3_ENV: readonly EnvBinding[] = [
  { name: 'QMPIPE_S3_BUCKET', path: 's3.bucket', kind: 'string', doc: 'bucket of rollups (and, on Lambda, checkpoints and dead letters)' },
  { name: 'QMPIPE_S3_ENDPOINT', path: 's3.endpoint', kind: 'string', doc: 'S3-compatible endpoint URL; unset for AWS S3' },
  { name: 'QMPIPE_S3_FORCE_PATH_STYLE', path: 's3.forcePathStyle', kind: 'boolean', doc: 'path-style URLs (S3Proxy, MinIO)' },
];

/** The sinks' variables (sinks.ts), in the long-running processor's config and the Lambda's. */
const SINK_ENV: readonly EnvBinding[] = [
  { name: 'QMPIPE_REMOTE_WRITE_URL', path: 'remoteWrite.url', kind: 'string', doc: 'Prometheus remote-write receiver URL (or off)' },
  { name: 'QMPIPE_REMOTE_WRITE_USERNAME', path: 'remoteWrite.basicAuth.username', kind: 'string', doc: 'basic-auth user of the receiver' },
  { name: 'QMPIPE_REMOTE_WRITE_PASSWORD', path: 'remoteWrite.basicAuth.password', kind: 'string', doc: 'basic-auth password of the receiver', secret: true },
  {
    name: 'QMPIPE_REMOTE_WRITE_BEARER_TOKEN',
    path: 'remoteWrite.bearerToken',
    kind: 'string',
    doc: 'bearer token for the receiver (instead of basic auth)',
    secret: true,
  },
];

export const AGENT_ENV: readonly EnvBinding[] = [...KAFKA_ENV, ...LOG_ENV];

export const PROCESSOR_ENV: readonly EnvBinding[] = [...KAFKA_ENV, ...LOG_ENV, ...S3_ENV, ...SINK_ENV];

export const LAMBDA_ENV: readonly EnvBinding[] = [
  ...KAFKA_ENV,
  ...LOG_ENV,
  ...S3_ENV,
  ...SINK_ENV,
  { name: 'AWS_REGION', path: 's3.region', kind: 'string', doc: 'set by Lambda itself' },
  { name: 'QMPIPE_ROLLUP_PREFIX', path: 's3.prefix', kind: 'string', doc: 'key prefix of rollup objects' },
  { name: 'QMPIPE_CHECKPOINT_PREFIX', path: 'checkpointPrefix', kind: 'string', doc: 'key prefix of partition checkpoints' },
  { name: 'QMPIPE_DEADLETTER_PREFIX', path: 'deadLetterPrefix', kind: 'string', doc: 'key prefix of dead letters' },
  { name: 'QMPIPE_ALERTS_TOPIC', path: 'kafka.alertsTopic', kind: 'string', doc: 'topic the alerts are published to' },
  { name: 'QMPIPE_SCHEMA_TOPIC', path: 'kafka.schemaTopic', kind: 'string', doc: "the agents' writer-schema topic" },
  {
    name: 'QMPIPE_ALLOWED_LATENESS_MS',
    path: 'rollups.allowedLatenessMs',
    kind: 'number',
    doc: 'rollup windows close this long after the partition clock passes their end',
  },
  { name: 'QMPIPE_MAX_RECORD_BYTES', path: 'input.maxRecordBytes', kind: 'number', doc: 'larger raw-topic messages are dead-lettered undecoded' },
  { name: 'QMPIPE_CORE_CONFIG', path: 'core', kind: 'json', doc: 'the core section (rates, alerts, rollup) as JSON' },
];
