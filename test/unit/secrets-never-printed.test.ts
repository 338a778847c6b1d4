/**
 * No secret's value in any error or log line: every secret (the SASL password, the
 * remote-write password and bearer token, S3 keys in a file) is set to a recognisable
 * value, in the environment and in config files, and every config error path around them
 * and around other settings is triggered for each command's loader (agent, processor,
 * Lambda, alerts tail and forward, top --kafka). The errors, and what `--check` writes,
 * must name the variable or the setting but never hold a secret's value.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run as runAgent } from '#agent/command.js';
import { parseForwardOptions, parseTailOptions } from '#alerts/config.js';
import { describeError } from '#common/errors.js';
import { run as runProcessor } from '#processor/runtime/command.js';
import { loadLambdaConfig } from '#schemas/config/lambda.js';
import { parseKafkaFlags } from '#top/source/kafka.js';
import { captureStdio } from '#test/support/captureStdio.js';

const SECRET = /S3CRET/;
const secrets = {
  QMPIPE_KAFKA_SASL_PASSWORD: 'S3CRET-sasl-password',
  QMPIPE_REMOTE_WRITE_PASSWORD: 'S3CRET-remote-write-password',
  QMPIPE_REMOTE_WRITE_BEARER_TOKEN: 'S3CRET-remote-write-token',
};
const ok = { QMPIPE_KAFKA_BROKERS: 'b1:9092', QMPIPE_S3_BUCKET: 'rollups-bucket', QMPIPE_KAFKA_SASL_USERNAME: 'qmpipe' };

/** Environments each with one mistake, all with every secret set. */
const badEnvs: Array<[string, NodeJS.ProcessEnv]> = [
  ['basic auth and a bearer token together', { ...ok, ...secrets, QMPIPE_REMOTE_WRITE_URL: 'http://p:9090/api/v1/write', QMPIPE_REMOTE_WRITE_USERNAME: 'u' }],
  [
    'a bearer token with a URL that is not http',
    { ...ok, QMPIPE_REMOTE_WRITE_URL: 'ftp://p/x', QMPIPE_REMOTE_WRITE_BEARER_TOKEN: secrets.QMPIPE_REMOTE_WRITE_BEARER_TOKEN },
  ],
  [
    'a password without a user name',
    { ...ok, QMPIPE_REMOTE_WRITE_URL: 'http://p:9090/api/v1/write', QMPIPE_REMOTE_WRITE_PASSWORD: secrets.QMPIPE_REMOTE_WRITE_PASSWORD },
  ],
  ['a SASL password with an unknown mechanism', { ...ok, ...secrets, QMPIPE_KAFKA_SASL_MECHANISM: 'gssapi' }],
  ['no brokers', { ...secrets, QMPIPE_KAFKA_BROKERS: ',', QMPIPE_S3_BUCKET: 'rollups-bucket' }],
  ['a bad log level', { ...ok, ...secrets, QMPIPE_LOG_LEVEL: 'loud' }],
  ['a bad TLS switch', { ...ok, ...secrets, QMPIPE_KAFKA_TLS: 'maybe' }],
  ['a key file without a certificate', { ...ok, ...secrets, QMPIPE_KAFKA_TLS_KEY_FILE: '/etc/qmpipe/key.pem' }],
  ['QMPIPE_CONFIG that is not JSON around a secret', { ...ok, QMPIPE_CONFIG: '{"kafka":{"sasl":{"password": S3CRET-in-json}}}' }],
  ['QMPIPE_CONFIG with a secret of the wrong type', { ...ok, QMPIPE_CONFIG: '{"kafka":{"brokers":["b:1"],"sasl":{"password":"S3CRET-x","extra":1}}}' }],
];

/** Config files each with one mistake, all holding secrets. */
const badFiles: Array<[string, string]> = [
  ['not JSON next to an unquoted secret', '{"kafka": {"brokers": ["b:1"], "sasl": {"password": S3CRET-file}}}'],
  ['not JSON after a secret', '{"kafka": {"brokers": ["b:1"], "sasl": {"password": "S3CRET-file"} "x": 1}}'],
  ['an unknown key beside a secret', '{"kafka": {"brokers": ["b:1"], "sasl": {"password": "S3CRET-file", "pasword": "S3CRET-typo"}}, "s3": {"bucket": "bkt"}}'],
  ['a secret of the wrong type', '{"kafka": {"brokers": ["b:1"], "sasl": {"password": ["S3CRET-file"]}}, "s3": {"bucket": "bkt"}}'],
  [
    'S3 keys and a remote-write token in the file, with a bad URL',
    '{"kafka": {"brokers": ["b:1"]}, "s3": {"bucket": "bkt", "accessKeyId": "S3CRET-id", "secretAccessKey": "S3CRET-key"}, "remoteWrite": {"url": "S3CRET-url?", "bearerToken": "S3CRET-file-token"}}',
  ],
];

const dir = mkdtempSync(join(tmpdir(), 'qmpipe-secrets-'));

const io = captureStdio();

/** Runs a command in-process with `env` as process.env; returns its exit code and everything it wrote. */
async function runCaptured(run: (argv: string[]) => Promise<number>, argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  io.stdout = '';
  io.stderr = '';
  for (const k of Object.keys(process.env)) if (k.startsWith('QMPIPE_')) vi.stubEnv(k, undefined);
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  try {
    const code = await run(argv);
    return { code, out: io.stdout + io.stderr };
  } finally {
    vi.unstubAllEnvs();
  }
}

function errorOf(load: () => unknown): string {
  try {
    load();
  } catch (err) {
    return describeError(err);
  }
  throw new Error('expected a config error');
}

/** The loader's error, or '' when the config is valid for it (a setting it does not read). */
function errorOrNone(load: () => unknown): string {
  try {
    load();
    return '';
  } catch (err) {
    return describeError(err);
  }
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('no secret value in any config error or --check output', () => {
  const emptyFile = join(dir, 'empty.json');
  writeFileSync(emptyFile, '{}');

  it.each(badEnvs)('environment: %s', async (_name, env) => {
    const lambda = errorOf(() => loadLambdaConfig(env));
    expect(lambda).toMatch(/^lambda config|^QMPIPE_/);
    const outputs = [
      lambda,
      (await runCaptured(runAgent, ['--config', emptyFile, '--check'], env)).out,
      (await runCaptured(runProcessor, ['--config', emptyFile, '--check'], env)).out,
      ...[() => parseTailOptions({}, env), () => parseForwardOptions({ alertmanager: 'http://am:9093' }, env), () => parseKafkaFlags({}, env)].map(errorOrNone),
    ];
    for (const o of outputs) expect(o).not.toMatch(SECRET);
  });

  it('environment: the Kafka-only loaders (alerts, top) with every secret and a bad setting', () => {
    const env = { ...secrets, QMPIPE_KAFKA_BROKERS: 'b1:9092', QMPIPE_KAFKA_SASL_MECHANISM: 'gssapi' };
    const messages = [
      errorOf(() => parseTailOptions({}, env)),
      errorOf(() => parseForwardOptions({ alertmanager: 'http://am:9093' }, env)),
      errorOf(() => parseForwardOptions({ alertmanager: 'S3CRET-not-a-url' }, { ...secrets, QMPIPE_KAFKA_BROKERS: 'b1:9092' })),
      errorOf(() => parseKafkaFlags({}, env)),
      errorOf(() => parseKafkaFlags({}, { ...secrets })),
    ];
    for (const m of messages) expect(m).not.toMatch(SECRET);
    expect(messages[0]).toMatch(/kafka\.sasl\.mechanism/);
  });

  it.each(badFiles)('config file: %s', async (name, text) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, text);
    for (const run of [runAgent, runProcessor]) {
      const { code, out } = await runCaptured(run, ['--config', file, '--check'], { ...secrets });
      expect(code).toBe(2);
      expect(out).toMatch(/config/);
      expect(out).not.toMatch(SECRET);
    }
    expect(errorOf(() => loadLambdaConfig({ ...ok, QMPIPE_CONFIG: text }))).not.toMatch(SECRET);
  });

  it('a good config with every secret: --check says ok and prints no secret', async () => {
    const kafka = { brokers: ['b:1'], sasl: { username: 'u', password: 'S3CRET-file' } };
    const files = [join(dir, 'good-agent.json'), join(dir, 'good-processor.json')] as const;
    writeFileSync(files[0], JSON.stringify({ kafka }));
    writeFileSync(files[1], JSON.stringify({ kafka, s3: { bucket: 'bkt', secretAccessKey: 'S3CRET-key' } }));
    for (const [run, file] of [
      [runAgent, files[0]],
      [runProcessor, files[1]],
    ] as const) {
      const { code, out } = await runCaptured(run, ['--config', file, '--check'], { ...secrets, QMPIPE_REMOTE_WRITE_PASSWORD: '' });
      expect({ code, out }).toEqual({ code: 0, out: 'config ok\n' });
    }
  });

  it('names the variable of a secret that fails, without its value', () => {
    const m = errorOf(() => loadLambdaConfig(badEnvs[0]![1]));
    expect(m).toMatch(/QMPIPE_REMOTE_WRITE_BEARER_TOKEN/);
    expect(m).toMatch(/basicAuth and bearerToken/);
  });
});
