/**
 * The remote-write client against a receiver at its HTTP interface: a node:http server
 * standing in for a gateway that takes a bearer token (as Mimir, Cortex or a reverse
 * proxy in front of Prometheus do; Prometheus' own web config has basic auth only,
 * tested live in test/integration/remote-write-tls.test.ts). It checks what the
 * client sends (headers, the snappy-compressed WriteRequest) and how replies are read.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { uncompress } from 'snappyjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressBody, createRemoteWriteClient, RemoteWriteError } from './client.js';
import { encodeWriteRequest } from './protobuf.js';

const TOKEN = 'rw-test-token';

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

describe('remote-write client with a bearer token', () => {
  let server: Server;
  let url = '';
  const received: Received[] = [];
  /** What the receiver answers next when the token is right (status, body). */
  let reply: [number, string] = [204, ''];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        if (req.headers.authorization !== `Bearer ${TOKEN}`) {
          res.writeHead(401).end('unauthorized: bad or missing bearer token');
          return;
        }
        res.writeHead(reply[0]).end(reply[1]);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/push`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const body = () =>
    compressBody(
      encodeWriteRequest([
        {
          labels: [
            ['__name__', 'qmpipe_block_allocation_bytes'],
            ['vm', 'cap-thin'],
          ],
          samples: [{ value: 173_342_720, t: 1_795_829_198_000 }],
        },
      ]),
    );

  it('sends Authorization: Bearer with the spec headers and a snappy WriteRequest; 2xx is delivered', async () => {
    received.length = 0;
    reply = [204, ''];
    const sent = body();
    expect(await createRemoteWriteClient({ url, bearerToken: TOKEN, timeoutMs: 2000 }).send(sent)).toBe('ok');
    const [r] = received;
    expect(r!.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
      'content-length': String(sent.length),
    });
    expect(Buffer.from(uncompress(r!.body))).toEqual(Buffer.from(uncompress(sent)));
    expect(Buffer.from(uncompress(r!.body)).toString('latin1')).toContain('qmpipe_block_allocation_bytes');
  });

  it('a wrong token: HTTP 401, refused and not retriable, the receiver says why', async () => {
    const err = await createRemoteWriteClient({ url, bearerToken: 'wrong', timeoutMs: 2000 })
      .send(body())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteWriteError);
    expect(err).toMatchObject({ code: 'REMOTE_WRITE_HTTP', retriable: false, context: { status: 401 } });
    expect((err as Error).message).toBe('remote write: HTTP 401: unauthorized: bad or missing bearer token');
  });

  it('no token at all sends no Authorization header', async () => {
    received.length = 0;
    await createRemoteWriteClient({ url, timeoutMs: 2000 })
      .send(body())
      .catch(() => undefined);
    expect(received[0]!.headers.authorization).toBeUndefined();
  });

  it('the receiver already holds the samples (400 out of order): a duplicate, delivered; 503: retriable', async () => {
    const client = createRemoteWriteClient({ url, bearerToken: TOKEN, timeoutMs: 2000 });
    reply = [400, 'out of order sample'];
    expect(await client.send(body())).toBe('duplicate');
    reply = [503, 'ingester unavailable'];
    expect(await client.send(body()).catch((e: unknown) => e)).toMatchObject({ retriable: true, context: { status: 503 } });
  });
});
