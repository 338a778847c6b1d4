/**
 * Remote write over https with a client certificate and basic auth, against a real
 * Prometheus (Debian's, infra/prometheus/start.sh with a --web.config.file): the server
 * certificate and CA are the test broker's (KAFKA_TLS_DIR, SAN 127.0.0.1), Prometheus
 * requires a client certificate signed by that CA and a basic-auth user.
 *
 * The processor's remote-write client (processor/src/sinks/remoteWrite/client.ts), built
 * from the processor's config (remoteWrite.tls, remoteWrite.basicAuth):
 *  - with the CA, its client certificate and the right password: the samples are stored
 *    (read back through the query API with the same credentials);
 *  - a wrong password: HTTP 401, not retriable (the receiver refuses, a retry cannot help);
 *  - no client certificate: the TLS handshake fails, a retriable network error;
 *  - no CA: the server's certificate is not trusted, a network error.
 * The password's bcrypt hash (cost 4) is committed with the password: a test credential.
 * A bearer token cannot be checked here (Prometheus' web config has no bearer users): see
 * processor/src/sinks/remoteWrite/client.test.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteWriteClient, compressBody, RemoteWriteError, type RemoteWriteTarget } from '#processor/sinks/remoteWrite/client.js';
import { encodeWriteRequest } from '#processor/sinks/remoteWrite/protobuf.js';
import { RemoteWriteConfig } from '#schemas/config/remoteWrite.js';
import { stack } from './helpers/index.js';
import { prometheusAvailable, startPrometheus, stopPrometheus } from './helpers/prometheus.js';

const avail = prometheusAvailable();
if (!avail.ok) console.warn(`[remote-write-tls] skipped: ${avail.reason}`);

const USER = 'qmpipe';
const PASSWORD = 'qmpipe-remote-write-test';
/** bcrypt (cost 4) of PASSWORD, made with Python's bcrypt 4: Prometheus' basic_auth_users wants a hash. */
const PASSWORD_BCRYPT = '$2b$04$xTO2Z29oQa8m4Bu5eZHYL.qERxNenAELA4uCQqV.1BUzX106UYtO6';

describe.skipIf(!avail.ok)('Prometheus remote write over TLS with a client certificate and basic auth', () => {
  const sec = stack().kafkaSecurity;
  const runDir = join(stack().runDir, 'prometheus-tls');
  const extra: Record<string, string> = { QMPIPE_RUN_DIR: runDir };
  let url = '';

  beforeAll(() => {
    mkdirSync(runDir, { recursive: true });
    const web = join(runDir, 'web.yml');
    writeFileSync(
      web,
      [
        'tls_server_config:',
        `  cert_file: ${join(sec.tlsDir, 'server.pem')}`,
        `  key_file: ${join(sec.tlsDir, 'server.key')}`,
        '  client_auth_type: RequireAndVerifyClientCert',
        `  client_ca_file: ${sec.caFile}`,
        'basic_auth_users:',
        `  ${USER}: ${PASSWORD_BCRYPT}`,
        '',
      ].join('\n'),
    );
    Object.assign(extra, {
      QMPIPE_PROMETHEUS_WEB_CONFIG: web,
      QMPIPE_READY_CA: sec.caFile,
      QMPIPE_READY_CERT: sec.certFile,
      QMPIPE_READY_KEY: sec.keyFile,
      QMPIPE_READY_BASIC: `${USER}:${PASSWORD}`,
    });
    url = startPrometheus(undefined, extra);
  }, 60_000);
  afterAll(() => stopPrometheus(false, extra));

  /** The client as the processor builds it from its config. */
  function client(over: Partial<{ basicAuth: { username: string; password: string }; tls: RemoteWriteTarget['tls'] }>) {
    const cfg = RemoteWriteConfig.parse({
      url: `${url}/api/v1/write`,
      basicAuth: { username: USER, password: PASSWORD },
      tls: { caFile: sec.caFile, certFile: sec.certFile, keyFile: sec.keyFile },
      ...over,
    });
    return createRemoteWriteClient({ url: cfg.url, basicAuth: cfg.basicAuth, bearerToken: cfg.bearerToken, tls: cfg.tls, timeoutMs: cfg.timeoutMs });
  }

  const now = Date.now();
  const body = compressBody(
    encodeWriteRequest([
      {
        labels: [
          ['__name__', 'qmpipe_it_tls_probe'],
          ['host', 'it-host'],
        ],
        samples: [{ t: now, value: 42.5 }],
      },
    ]),
  );

  /** An instant query over https with the same credentials. */
  function query(q: string): Promise<Array<{ value: [number, string] }>> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${url}/api/v1/query?${new URLSearchParams({ query: q, time: String(now / 1000) })}`,
        {
          ca: readFileSync(sec.caFile),
          cert: readFileSync(sec.certFile),
          key: readFileSync(sec.keyFile),
          headers: { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve((JSON.parse(Buffer.concat(chunks).toString()) as { data: { result: Array<{ value: [number, string] }> } }).data.result));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('delivers with the CA, a client certificate and the right password; the samples are stored', async () => {
    expect(url.startsWith('https://127.0.0.1:')).toBe(true);
    expect(await client({}).send(body)).toBe('ok');
    const r = await query('qmpipe_it_tls_probe{host="it-host"}');
    expect(r.map((x) => x.value[1])).toEqual(['42.5']);
  });

  it('a wrong password is refused with HTTP 401, not retried', async () => {
    const err = await client({ basicAuth: { username: USER, password: 'wrong' } })
      .send(body)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteWriteError);
    expect((err as RemoteWriteError).context.status).toBe(401);
    expect((err as RemoteWriteError).retriable).toBe(false);
  });

  it('without a client certificate the handshake fails: a retriable network error', async () => {
    const err = await client({ tls: { caFile: sec.caFile, rejectUnauthorized: true } })
      .send(body)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteWriteError);
    expect((err as RemoteWriteError).code).toBe('REMOTE_WRITE_NETWORK');
    expect((err as RemoteWriteError).retriable).toBe(true);
  });

  it("without the CA the server's certificate is not trusted", async () => {
    const err = await client({ tls: { certFile: sec.certFile, keyFile: sec.keyFile, rejectUnauthorized: true } })
      .send(body)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteWriteError);
    expect((err as RemoteWriteError).message).toMatch(/self[- ]signed|unable to verify|certificate/i);
  });
});
